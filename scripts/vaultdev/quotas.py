"""Rate-limit quotas: sys/quotas/rate-limit/<name>, sys/quotas/config, and the 429.

Mimics Vault's vault/logical_system_quotas.go (write/read/list/delete, 'rate' must be
positive, 'interval' 0 -> 1s, 'path' must name a mount), vault/quotas/quotas.go
(default rate_limit_exempt_paths) and the HTTP wrapper in http/util.go
(rateLimitQuotaWrapping: 429 'request path "<p>": rate limit quota exceeded';
X-RateLimit-Limit/-Remaining/-Reset and Retry-After only when
enable_rate_limit_response_headers is set; quotas_rate_limit.go allow()).

Where this differs from Vault: Vault keeps one go-limiter bucket per client
address whose window starts at that client's first request; here too, but the
count is exact and windows never drift, and quotas are global (no namespace
inheritance, no role-based quotas, no lease-count quotas).  The most specific
matching quota (longest path) is the only one applied, as Vault picks one.
"""

import threading
import time

from .common import Refuse

# vault/quotas/quotas.go defaultExemptPaths
DEFAULT_EXEMPT = ["sys/generate-recovery-token/attempt", "sys/generate-recovery-token/update",
                  "sys/generate-root/attempt", "sys/generate-root/update", "sys/health",
                  "sys/seal-status", "sys/unseal"]


class Quotas:
    def __init__(self):
        self.lock = threading.Lock()
        self.rules = {}
        self.windows = {}        # (name, client) -> [window start, count]
        self.blocked = {}        # (name, client) -> blocked until
        self.config = {"enable_rate_limit_audit_logging": False,
                       "enable_rate_limit_response_headers": False,
                       "rate_limit_exempt_paths": list(DEFAULT_EXEMPT)}

    # ---------------- the API ----------------

    def handle(self, op, rest, body, parse_duration, mount_of):
        """sys/quotas/<rest>.  Returns None (204) or the data of a 200 answer."""
        with self.lock:
            if rest.rstrip("/") == "config":
                return self._config(op, body)
            if not rest.startswith("rate-limit"):
                raise Refuse(404, ["1 error occurred:\n\t* unsupported path\n\n"])
            name = rest[len("rate-limit"):].strip("/")
            if not name:
                if op != "list":
                    raise Refuse(405, ["unsupported operation"])
                if not self.rules:
                    raise Refuse(404, [])
                return {"keys": sorted(self.rules)}
            if op == "read":
                q = self.rules.get(name)
                if q is None:
                    raise Refuse(404, [])
                return dict(q)
            if op == "delete":
                self.rules.pop(name, None)
                self._forget(name)
                return None
            if op != "update":
                raise Refuse(405, ["unsupported operation"])
            return self._write(name, body, parse_duration, mount_of)

    def _config(self, op, body):
        if op == "read":
            return dict(self.config)
        if op != "update":
            raise Refuse(405, ["unsupported operation"])
        for k in ("enable_rate_limit_audit_logging", "enable_rate_limit_response_headers"):
            if k in body:
                v = body[k]
                if isinstance(v, str):
                    v = v.lower() in ("1", "t", "true")
                self.config[k] = bool(v)
        if "rate_limit_exempt_paths" in body:
            v = body["rate_limit_exempt_paths"]
            if isinstance(v, str):
                v = [p.strip() for p in v.split(",") if p.strip()]
            self.config["rate_limit_exempt_paths"] = [str(p).strip("/") for p in (v or [])]
        return None

    def _write(self, name, body, parse_duration, mount_of):
        old = self.rules.get(name, {})
        try:
            rate = float(body.get("rate", old.get("rate", 0)))
        except (TypeError, ValueError):
            raise Refuse(400, ["'rate' is invalid"])
        if rate <= 0:
            raise Refuse(400, ["'rate' is invalid"])
        interval = int(parse_duration(body.get("interval"), "interval") or 0) \
            if "interval" in body else old.get("interval", 1)
        interval = interval or 1
        block = int(parse_duration(body.get("block_interval"), "block_interval") or 0) \
            if "block_interval" in body else old.get("block_interval", 0)
        if block < 0:
            raise Refuse(400, ["'block' is invalid"])
        path = str(body.get("path", old.get("path", "")) or "").lstrip("/")
        if path and mount_of(path) is None:
            raise Refuse(400, ["invalid mount path %s" % _go_quote(path)])
        for other, q in self.rules.items():
            if other != name and q["path"] == path:
                raise Refuse(400, ["quota rule with similar properties exists under the name %s"
                                   % _go_quote(other)])
        self.rules[name] = {"type": "rate-limit", "name": name, "path": path, "role": "",
                            "rate": rate, "interval": interval, "block_interval": block,
                            "inheritable": path == ""}
        self._forget(name)
        return None

    def _forget(self, name):
        for d in (self.windows, self.blocked):
            for k in [k for k in d if k[0] == name]:
                del d[k]

    # ---------------- the check in front of every request ----------------

    def check(self, path, client):
        """path: the request path after /v1/ (namespace prefix included).
        Returns (allowed, headers): headers to add, already filtered by the config."""
        with self.lock:
            if not self.rules:
                return True, []
            p = path.strip("/")
            if p in self.config["rate_limit_exempt_paths"]:
                return True, []
            best = None
            for q in self.rules.values():
                qp = q["path"]
                if p.startswith(qp) or (p + "/").startswith(qp):
                    if best is None or len(qp) > len(best["path"]):
                        best = q
            if best is None:
                return True, []
            now = time.monotonic()
            key = (best["name"], client)
            headers = []
            send = self.config["enable_rate_limit_response_headers"]
            until = self.blocked.get(key)
            if until is not None:
                if now < until:
                    if send:
                        headers.append(("Retry-After", str(int(until - now))))
                    return False, headers
                del self.blocked[key]
            w = self.windows.get(key)
            if w is None or now >= w[0] + best["interval"]:
                w = self.windows[key] = [now, 0]
            limit = int(best["rate"])
            allowed = w[1] < limit
            if allowed:
                w[1] += 1
            reset = int(w[0] + best["interval"] - now)     # truncated, as Go's int()
            if send:
                headers += [("X-RateLimit-Limit", str(limit)),
                            ("X-RateLimit-Remaining", str(max(0, limit - w[1]))),
                            ("X-RateLimit-Reset", str(reset))]
            if not allowed:
                retry = reset
                if best["block_interval"]:
                    self.blocked[key] = now + best["block_interval"]
                    retry = int(best["block_interval"])
                if send:
                    headers.append(("Retry-After", str(retry)))
            return allowed, headers


def refusal_errors(path):
    # http/util.go: fmt.Errorf("request path %q: %w", path, quotas.ErrRateLimitQuotaExceeded)
    return ["request path %s: rate limit quota exceeded" % _go_quote(path)]


def _go_quote(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')
