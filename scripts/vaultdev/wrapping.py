"""Response wrapping: X-Vault-Wrap-TTL on any request, and sys/wrapping/ (unwrap,
lookup, wrap, rewrap).

Depends on api, values and clock; the Wrapping mixin of vault.Vault keeps self.wraps.
"""

import uuid

from . import clock
from .api import (APIError, ERR_NO_TOKEN, ERR_UNSUPPORTED_OP, ERR_UNSUPPORTED_PATH, bad_request,
                  envelope, jresp, ok)
from .values import new_accessor, new_token_id, parse_duration, rfc3339

DEFAULT_WRAP_TTL = 300


class Wrapping:
    """Wrapping tokens and sys/wrapping/ (a mixin of vault.Vault)."""

    def wrap_response(self, r, obj):
        try:
            ttl = parse_duration(r.wrap_ttl_raw, "wrap TTL")
        except APIError:
            raise bad_request("error parsing X-Vault-Wrap-TTL")
        if not ttl:
            return jresp(200, obj)
        now_ns = clock.now_ns()
        tok = new_token_id()
        acc = new_accessor()
        self.wraps[tok] = {"response": obj, "expire_at": clock.now() + ttl,
                           "creation_time": rfc3339(now_ns), "creation_ttl": ttl,
                           "creation_path": r.path, "accessor": acc}
        wrap_info = {"token": tok, "accessor": acc, "ttl": ttl,
                     "creation_time": rfc3339(now_ns), "creation_path": r.path}
        return jresp(200, envelope(None, wrap_info=wrap_info, request_id=""))

    def _take_wrap(self, wtok, consume=True):
        w = self.wraps.get(wtok)
        if w is None or clock.now() >= w["expire_at"]:
            self.wraps.pop(wtok, None)
            raise bad_request("wrapping token is not valid or does not exist")
        if consume:
            del self.wraps[wtok]
        return w

    def _unwrapped(self, w):
        obj = dict(w["response"])
        obj["request_id"] = str(uuid.uuid4())
        return jresp(200, obj)

    def unwrap_via_header(self, r):
        # The client token is the wrapping token itself: an unknown, expired or
        # already-used one is a 400 (ErrInvalidRequest), not a 403.
        if not r.token:
            raise APIError(403, ERR_NO_TOKEN)
        return self._unwrapped(self._take_wrap(r.token))

    def sys_wrapping(self, r, tok):
        action = r.path[len("sys/wrapping/"):]
        if r.op != "update":
            raise APIError(405, ERR_UNSUPPORTED_OP)
        if action == "unwrap":
            wtok = r.body.get("token")
            if not isinstance(wtok, str) or not wtok:
                raise bad_request("wrapping token is not valid or does not exist")
            return self._unwrapped(self._take_wrap(wtok))
        if action == "lookup":
            wtok = r.body.get("token") or ""
            w = self._take_wrap(wtok, consume=False)
            return ok({"creation_path": w["creation_path"], "creation_time": w["creation_time"],
                       "creation_ttl": w["creation_ttl"]}, mount_type="system")
        if action == "wrap":
            r.wrap_ttl_raw = r.wrap_ttl_raw or str(DEFAULT_WRAP_TTL)
            return self.wrap_response(r, envelope(dict(r.body)))
        if action == "rewrap":
            wtok = r.body.get("token") or ""
            w = self._take_wrap(wtok)
            r.wrap_ttl_raw = str(w["creation_ttl"])
            r.path = w["creation_path"]
            return self.wrap_response(r, w["response"])
        raise APIError(404, ERR_UNSUPPORTED_PATH)
