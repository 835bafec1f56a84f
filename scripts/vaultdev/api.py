"""The HTTP API's request and answer: Req (one parsed /v1 request), Resp, the JSON
envelope Vault puts data in, and its error bodies (APIError and the ERR_* texts).

Standard library only: every other module builds its answers from these.
"""

import json
import uuid

ERR_NO_TOKEN = ["permission denied"]
ERR_DENIED = ["1 error occurred:\n\t* permission denied\n\n"]
ERR_SEALED = ["Vault is sealed"]
ERR_UNSUPPORTED_OP = ["unsupported operation"]
ERR_UNSUPPORTED_PATH = ["1 error occurred:\n\t* unsupported path\n\n"]


class APIError(Exception):
    """An error answered as {"errors": [...]} with the given status."""

    def __init__(self, status, errors):
        super().__init__(status)
        self.status = status
        self.errors = list(errors)


def bad_request(msg):
    return APIError(400, [msg])


class Resp:
    __slots__ = ("status", "body", "ctype", "headers", "obj")

    def __init__(self, status, body=b"", ctype="application/json", headers=None, obj=None):
        self.status = status
        self.body = body
        self.ctype = ctype
        self.headers = headers or []
        self.obj = obj


def dumps(obj):
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def jresp(status, obj, headers=None):
    return Resp(status, dumps(obj), headers=headers, obj=obj)


def no_content():
    return Resp(204)


def err_resp(status, errors):
    return jresp(status, {"errors": list(errors)})


def envelope(data=None, lease_id="", renewable=False, lease_duration=0, warnings=None,
             auth=None, wrap_info=None, mount_type="", request_id=None):
    return {
        "request_id": str(uuid.uuid4()) if request_id is None else request_id,
        "lease_id": lease_id,
        "renewable": renewable,
        "lease_duration": lease_duration,
        "data": data,
        "wrap_info": wrap_info,
        "warnings": warnings,
        "auth": auth,
        "mount_type": mount_type,
    }


def ok(data=None, **kw):
    return jresp(200, envelope(data, **kw))


def legacy(data):
    """Older sys endpoints return their data both at top level and under data."""
    obj = dict(data)
    obj.update(envelope(data, mount_type="system"))
    return jresp(200, obj)


class Req:
    """One parsed /v1 request."""

    def __init__(self, method, path, query, body_bytes, headers):
        self.method = method
        self.path = path
        self.query = query                # dict name -> first value
        self.body_bytes = body_bytes
        self.headers = headers
        self.body = {}
        self.op = None
        self.head = method == "HEAD"
        tok = headers.get("X-Vault-Token") or ""
        if not tok:
            auth = headers.get("Authorization") or ""
            parts = auth.split(None, 1)
            if len(parts) == 2 and parts[0].lower() == "bearer":
                tok = parts[1].strip()
        self.token = tok or None
        self.wrap_ttl_raw = headers.get("X-Vault-Wrap-TTL")
