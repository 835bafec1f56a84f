"""Values as Vault reads and writes them: durations, booleans, integers and lists
in requests (Go's parsing rules), RFC 3339 times and Go durations in answers, mount
paths, JSON merge patch, JWT segments, and new token IDs and accessors.

Depends on api (bad_request) and clock.
"""

import base64
import json
import re
import secrets
import time

from . import clock
from .api import bad_request


def rfc3339(ns=None):
    if ns is None:
        ns = clock.now_ns()
    # Go's time.RFC3339Nano, as Vault's JSON times are: trailing zeros of the fraction
    # dropped, no fraction at all on a whole second
    secs, frac = divmod(int(ns), 1000000000)
    frac_s = (".%09d" % frac).rstrip("0").rstrip(".")
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + frac_s + "Z"


def go_duration(secs):
    secs = int(secs)
    if secs == 0:
        return "0s"
    h, rem = divmod(secs, 3600)
    m, s = divmod(rem, 60)
    if h:
        return "%dh%dm%ds" % (h, m, s)
    if m:
        return "%dm%ds" % (m, s)
    return "%ds" % s


_DUR_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)")
_DUR_FULL = re.compile(r"(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h|d))+")
_DUR_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600,
              "d": 86400}


def parse_duration(value, field="ttl"):
    """Vault-style duration: int seconds, "90", "30s", "1h30m", "2d". None -> None."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise bad_request("invalid duration for %s" % field)
    if isinstance(value, (int, float)):
        if value < 0:
            raise bad_request("%s cannot be negative" % field)
        return int(value)
    s = str(value).strip()
    if s == "":
        return 0
    if re.fullmatch(r"-?\d+", s):
        v = int(s)
        if v < 0:
            raise bad_request("%s cannot be negative" % field)
        return v
    if s.startswith("-"):
        raise bad_request("%s cannot be negative" % field)
    if s.startswith("+"):
        s = s[1:]
    if not _DUR_FULL.fullmatch(s):
        raise bad_request("error parsing %s: invalid duration %s" % (field, json.dumps(s)))
    total = 0.0
    for num, unit in _DUR_PART.findall(s):
        total += float(num) * _DUR_UNITS[unit]
    return int(total)


_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def parse_bool_str(s):
    """Go strconv.ParseBool. Raises ValueError on anything else."""
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValueError(s)


def to_bool(value, field, default=False):
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    try:
        return parse_bool_str(str(value).strip())
    except ValueError:
        raise bad_request("invalid boolean value for %s" % field)


def to_int(value, field, default=0):
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise bad_request("invalid integer value for %s" % field)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request("invalid integer value for %s" % field)


def str_list(value):
    """A list of strings from a JSON list or a comma-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
    else:
        raise bad_request("expected a list of strings")
    return [i.strip() for i in items if i.strip()]


def new_token_id():
    return "hvs." + secrets.token_urlsafe(18)


def new_accessor():
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(24))


def short_hex():
    return secrets.token_hex(4)


def norm_mount(path):
    p = path.strip().strip("/")
    if not p:
        raise bad_request("path cannot be empty")
    return p + "/"


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            result.pop(k, None)
        else:
            result[k] = merge_patch(result.get(k), v)
    return result


def b64url_json(segment):
    pad = "=" * (-len(segment) % 4)
    raw = base64.urlsafe_b64decode(segment + pad)
    return json.loads(raw.decode("utf-8"))
