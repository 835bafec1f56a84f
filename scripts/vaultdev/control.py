"""The test-control API (--control, under /_control/): faults, counters, the
request log, seal/unseal, revocation and the clock, and the faults' matching.

Depends on api, values (rfc3339) and clock; the Control mixin of vault.Vault keeps
self.faults, self.counters, self.total and self.request_log.
"""

import json
import time

from . import clock
from .api import Resp, envelope, err_resp, jresp, no_content
from .values import rfc3339


class Control:
    """The test-control API (a mixin of vault.Vault)."""

    def take_fault(self, method, path):
        with self.lock:
            for f in self.faults:
                if f["method"] and f["method"] != method:
                    continue
                fp = f["path"]
                if fp.endswith("*"):
                    if not path.startswith(fp[:-1]):
                        continue
                elif fp != path:
                    continue
                if f["count"] is not None:
                    f["count"] -= 1
                    if f["count"] <= 0:
                        self.faults.remove(f)
                return dict(f)
        return None

    def count(self, method, path):
        with self.lock:
            self.total += 1
            key = "%s %s" % (method, path)
            self.counters[key] = self.counters.get(key, 0) + 1

    def record(self, r, status):
        entry = {
            "method": r.method,
            "path": r.path_raw,
            "query_keys": sorted(r.query.keys()),
            "status": status,
            "has_token": bool(r.token),
            "namespace": r.headers.get("X-Vault-Namespace"),
            "wrap_ttl": r.wrap_ttl_raw,
            "user_agent": r.headers.get("User-Agent"),
            "time": round(time.time(), 6),
        }
        with self.lock:
            self.request_log.append(entry)

    def control(self, method, path, body):
        """One request to /_control/<name>: its answer (a Resp)."""
        name = path[len("/_control"):].strip("/")
        try:
            payload = json.loads(body.decode("utf-8")) if body and body.strip() else {}
        except (ValueError, UnicodeDecodeError) as e:
            return err_resp(400, ["failed to parse JSON input: %s" % e])
        if not isinstance(payload, dict):
            payload = {}
        with self.lock:
            if name in ("seal", "unseal"):
                if method not in ("POST", "PUT"):
                    return err_resp(405, [])
                self.sealed = name == "seal"
                return no_content()
            if name == "faults":
                if method == "GET":
                    return jresp(200, {"faults": [dict(f) for f in self.faults]})
                if method == "DELETE":
                    self.faults.clear()
                    return no_content()
                if method not in ("POST", "PUT"):
                    return err_resp(405, [])
                return self._add_fault(payload)
            if name == "counters":
                if method == "GET":
                    return jresp(200, {"total": self.total, "requests": dict(self.counters)})
                if method == "DELETE":
                    self.counters.clear()
                    self.total = 0
                    return no_content()
                return err_resp(405, [])
            if name == "requests":
                if method == "GET":
                    return jresp(200, list(self.request_log))
                if method == "DELETE":
                    self.request_log.clear()
                    return no_content()
                return err_resp(405, [])
            if name == "revoke":
                if method not in ("POST", "PUT"):
                    return err_resp(405, [])
                n = 0
                if payload.get("all_non_root"):
                    for tid in [t.id for t in self.tokens.values() if t.id != self.root.id]:
                        n += self._revoke(tid, children=False)
                    self.wraps.clear()
                elif payload.get("accessor"):
                    tid = self.accessors.get(str(payload["accessor"]))
                    if tid is None:
                        return err_resp(404, ["accessor not found"])
                    n = self._revoke(tid)
                else:
                    return err_resp(400, ["need \"accessor\" or \"all_non_root\": true"])
                return jresp(200, {"revoked": n})
            if name == "clock":
                if method == "GET":
                    return jresp(200, {"offset_s": clock.offset(), "now": rfc3339()})
                if method not in ("POST", "PUT"):
                    return err_resp(405, [])
                try:
                    off = clock.advance(payload.get("advance_s"))
                except ValueError as e:
                    return err_resp(400, [str(e)])
                self.expire_tokens()
                return jresp(200, {"offset_s": off, "now": rfc3339()})
        return err_resp(404, ["unknown control endpoint"])

    def _add_fault(self, p):
        path = p.get("path")
        if not isinstance(path, str) or not path:
            return err_resp(400, ["\"path\" (string) is required"])
        status = p.get("status")
        if status is not None and (isinstance(status, bool) or not isinstance(status, int)
                                   or not 100 <= status <= 599):
            return err_resp(400, ["\"status\" must be an integer 100-599 or null"])
        body = p.get("body")
        if body is not None and not isinstance(body, str):
            body = json.dumps(body)
        count = p.get("count")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                                  or count < 1):
            return err_resp(400, ["\"count\" must be a positive integer or null"])
        try:
            delay = float(p.get("delay_ms") or 0)
        except (TypeError, ValueError):
            return err_resp(400, ["\"delay_ms\" must be a number"])
        method = p.get("method")
        path = path.lstrip("/")
        if path.startswith("v1/"):
            path = path[3:]
        self.fault_seq += 1
        fault = {"id": self.fault_seq, "path": path,
                 "method": method.upper() if isinstance(method, str) and method else None,
                 "status": status, "body": body, "malformed": bool(p.get("malformed")),
                 "delay_ms": max(0.0, delay), "drop": bool(p.get("drop")), "count": count,
                 "retry_after": p.get("retry_after"),
                 "content_type": p.get("content_type")}
        self.faults.append(fault)
        return jresp(200, {"id": fault["id"]})


def fault_response(fault):
    """The canned answer of a fault with a status, a body or malformed set; None for a
    fault that only delays (the request is then served as usual)."""
    if fault["status"] is None and not fault["malformed"] and fault["body"] is None:
        return None
    status = fault["status"] if fault["status"] is not None else 200
    if fault["malformed"]:
        return Resp(status, b'{"data": {"da', ctype="application/json")
    if fault["body"] is not None:
        raw = fault["body"].encode("utf-8")
        ctype = fault.get("content_type")
        if not ctype:
            try:
                json.loads(fault["body"])
                ctype = "application/json"
            except ValueError:
                ctype = "text/plain; charset=utf-8"
        return Resp(status, raw, ctype=ctype)
    return err_resp(status, ["injected fault"]) if status >= 400 \
        else jresp(status, envelope(None))
