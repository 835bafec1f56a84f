"""ACL policies: the HCL (or JSON) subset they are written in, path globs and their
precedence, the built-in default policy, and the ACL mixin of vault.Vault that
evaluates a token's policies on a path.

Depends on api and namespaces; the mixin reads self.namespaces and self.cur_ns.
"""

import functools
import json
import re

from . import namespaces
from .api import APIError, ERR_DENIED

ALL_CAPS = {"create", "read", "update", "delete", "list", "sudo", "deny", "patch", "subscribe"}

DEFAULT_POLICY = """\
# Built-in default policy (subset of Vault's).
path "auth/token/lookup-self" {
    capabilities = ["read"]
}
path "auth/token/renew-self" {
    capabilities = ["update"]
}
path "auth/token/revoke-self" {
    capabilities = ["update"]
}
path "sys/capabilities-self" {
    capabilities = ["update"]
}
path "sys/leases/renew" {
    capabilities = ["update"]
}
path "sys/leases/lookup" {
    capabilities = ["update"]
}
path "sys/renew" {
    capabilities = ["update"]
}
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}
path "sys/wrapping/lookup" {
    capabilities = ["update"]
}
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}
"""


def sanitize_policies(pols, add_default):
    out = sorted({p.strip().lower() for p in pols if p.strip()})
    if "root" in out:
        return ["root"]
    if add_default and "default" not in out:
        out = sorted(out + ["default"])
    return out


def _hcl_tokens(text):
    toks = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "#" or text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                raise ValueError("unterminated comment")
            i = j + 2
        elif c == '"':
            j = i + 1
            buf = []
            while True:
                if j >= n:
                    raise ValueError("unterminated string")
                d = text[j]
                if d == "\\" and j + 1 < n:
                    e = text[j + 1]
                    buf.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\"}.get(e, "\\" + e))
                    j += 2
                    continue
                if d == '"':
                    break
                if d == "\n":
                    raise ValueError("newline in string")
                buf.append(d)
                j += 1
            toks.append(("str", "".join(buf)))
            i = j + 1
        elif c in "{}[]=,:":
            toks.append((c, c))
            i += 1
        else:
            m = re.compile(r"[A-Za-z0-9_.\-]+").match(text, i)
            if not m:
                raise ValueError("unexpected character %r" % c)
            toks.append(("id", m.group(0)))
            i = m.end()
    return toks


class _HCLParser:
    def __init__(self, toks):
        self.toks = toks
        self.pos = 0

    def peek(self):
        return self.toks[self.pos] if self.pos < len(self.toks) else (None, None)

    def take(self, kind=None):
        tok = self.peek()
        if tok[0] is None:
            raise ValueError("unexpected end of policy")
        if kind is not None and tok[0] != kind:
            raise ValueError("expected %s, got %r" % (kind, tok[1]))
        self.pos += 1
        return tok

    def value(self):
        kind, val = self.peek()
        if kind == "str":
            self.pos += 1
            return val
        if kind == "id":
            self.pos += 1
            if val == "true":
                return True
            if val == "false":
                return False
            return val
        if kind == "[":
            self.pos += 1
            out = []
            while self.peek()[0] != "]":
                out.append(self.value())
                if self.peek()[0] == ",":
                    self.pos += 1
                elif self.peek()[0] != "]":
                    raise ValueError("expected , or ] in list")
            self.pos += 1
            return out
        if kind == "{":
            return self.obj()
        raise ValueError("unexpected %r" % val)

    def obj(self):
        self.take("{")
        out = {}
        while self.peek()[0] != "}":
            kind, key = self.take()
            if kind not in ("id", "str"):
                raise ValueError("expected a key, got %r" % key)
            if self.peek()[0] in ("=", ":"):
                self.pos += 1
            elif self.peek()[0] == "str":       # nested labelled block
                label = self.take()[1]
                out.setdefault(key, {})[label] = self.obj()
                continue
            out[key] = self.value()
            if self.peek()[0] == ",":
                self.pos += 1
        self.take("}")
        return out


_OLD_POLICY = {
    "deny": ["deny"],
    "sudo": ["create", "read", "update", "delete", "list", "sudo"],
    "write": ["create", "read", "update", "delete", "list"],
    "read": ["read", "list"],
    "list": ["list"],
}


def _rule_caps(glob, body):
    if not isinstance(body, dict):
        raise ValueError("path %s: expected a block" % json.dumps(glob))
    caps = body.get("capabilities")
    if caps is None:
        caps = []
    if isinstance(caps, str):
        caps = [caps]
    if not isinstance(caps, list):
        raise ValueError("path %s: capabilities must be a list" % json.dumps(glob))
    caps = [str(c).lower() for c in caps]
    old = body.get("policy")
    if isinstance(old, str):
        if old.lower() not in _OLD_POLICY:
            raise ValueError("path %s: invalid policy %s" % (json.dumps(glob), json.dumps(old)))
        caps.extend(_OLD_POLICY[old.lower()])
    for c in caps:
        if c not in ALL_CAPS:
            raise ValueError("path %s: invalid capability %s" % (json.dumps(glob), json.dumps(c)))
    return caps


def parse_policy(text):
    """Return a list of (glob, [caps]). Raises ValueError."""
    stripped = text.strip()
    rules = []
    if stripped.startswith("{"):
        try:
            doc = json.loads(stripped)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            paths = doc.get("path", {})
            if not isinstance(paths, dict):
                raise ValueError("'path' must be an object")
            for glob, body in paths.items():
                rules.append((glob, _rule_caps(glob, body)))
            return rules
    p = _HCLParser(_hcl_tokens(text))
    while p.peek()[0] is not None:
        kind, word = p.take()
        if kind != "id":
            raise ValueError("unexpected %r at top level" % word)
        if word == "path":
            glob = p.take("str")[1]
            if p.peek()[0] == "=":
                p.pos += 1
            body = p.obj()
            rules.append((glob.lstrip("/"), _rule_caps(glob, body)))
        else:
            if p.peek()[0] in ("=", ":"):
                p.pos += 1
            p.value()
    return rules


@functools.lru_cache(maxsize=4096)
def glob_regex(glob):
    prefix = glob.endswith("*")
    body = glob[:-1] if prefix else glob
    parts = body.split("/")
    rx = "/".join("[^/]*" if part == "+" else re.escape(part) for part in parts)
    return re.compile(rx + (".*" if prefix else "") + r"\Z", re.S)


def glob_priority(glob):
    """Higher tuple = more specific (Vault's precedence rules, simplified)."""
    first = len(glob)
    for i, ch in enumerate(glob):
        if ch in "+*":
            first = i
            break
    plus = sum(1 for seg in glob.split("/") if seg == "+")
    return (first, not glob.endswith("*"), -plus, len(glob), glob)


def glob_may_grant_under(glob, mount):
    """Could this rule match some path under the mount prefix (e.g. 'secret/')?"""
    mseg = mount.rstrip("/").split("/")
    pseg = glob.split("/")
    star = glob.endswith("*")
    for i, ms in enumerate(mseg):
        if i >= len(pseg):
            return False
        ps = pseg[i]
        if star and i == len(pseg) - 1:
            return ms.startswith(ps[:-1])
        if ps == "+" or ps == ms:
            continue
        return False
    return True


class Policy:
    def __init__(self, name, text):
        self.name = name
        self.text = text
        self.rules = parse_policy(text)
        merged = {}
        for glob, caps in self.rules:
            merged.setdefault(glob, set()).update(caps)
        self.merged = merged


class ACL:
    """What a token may do on a path (a mixin of vault.Vault)."""

    def token_policies_at(self, tok):
        """(policies dict, path prefix) for evaluating tok in the current namespace:
        a token's own namespace's policies, on the path seen from there; None when
        the token belongs to no namespace at or above this one."""
        ns = self.namespaces.get(getattr(tok, "ns", ""))
        rel = namespaces.relative(ns.path, self.cur_ns.path) if ns else None
        if rel is None:
            return None, ""
        return ns.policies, rel

    def capabilities(self, tok, path):
        if "root" in tok.policies:
            return {"root"}
        pols, rel = self.token_policies_at(tok)
        if pols is None:
            return set()
        path = rel + path
        merged = {}
        for name in tok.policies:
            pol = pols.get(name)
            if pol is None:
                continue
            for glob, caps in pol.merged.items():
                merged.setdefault(glob, set()).update(caps)
        if path in merged and not (path.endswith("*") or "+" in path.split("/")):
            caps = merged[path]
        else:
            best = None
            for glob in merged:
                if glob_regex(glob).match(path):
                    pri = glob_priority(glob)
                    if best is None or pri > best[0]:
                        best = (pri, glob)
            caps = merged[best[1]] if best else set()
        if "deny" in caps:
            return {"deny"}
        return set(caps)

    def check_acl(self, tok, path, need, sudo=False):
        caps = self.capabilities(tok, path)
        if "root" in caps:
            return
        if "deny" in caps or not (caps & need) or (sudo and "sudo" not in caps):
            raise APIError(403, ERR_DENIED)

    def mount_visible(self, tok, mount_path):
        if "root" in tok.policies:
            return True
        pols, rel = self.token_policies_at(tok)
        if pols is None:
            return False
        mount_path = rel + mount_path
        for name in tok.policies:
            pol = pols.get(name)
            if pol is None:
                continue
            for glob, caps in pol.merged.items():
                if "deny" in caps or not caps:
                    continue
                if glob_may_grant_under(glob, mount_path):
                    return True
        return False
