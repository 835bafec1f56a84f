"""The AppRole auth method: roles, role IDs, secret IDs and login.

Depends on api, values and clock; the AppRole mixin of vault.Vault logs in through the
AuthMethods mixin's _login_token.
"""

import uuid

from . import clock
from .api import APIError, ERR_UNSUPPORTED_OP, ERR_UNSUPPORTED_PATH, bad_request, no_content, ok
from .values import parse_duration, rfc3339, to_bool, to_int


class AppRole:
    """auth/<approle mount>/ (a mixin of vault.Vault)."""

    def approle_login(self, am, b):
        role_id = b.get("role_id")
        secret_id = b.get("secret_id")
        bad = bad_request("invalid role or secret ID")
        if not isinstance(role_id, str) or not role_id:
            raise bad_request("missing role_id")
        name, role = None, None
        for n, ro in am.roles.items():
            if ro["role_id"] == role_id:
                name, role = n, ro
                break
        if role is None:
            raise bad
        if role["bind_secret_id"]:
            if not isinstance(secret_id, str) or not secret_id:
                raise bad
            s = role["secret_ids"].get(secret_id)
            now = clock.now()
            if s is None or (s["expire_at"] is not None and now >= s["expire_at"]):
                role["secret_ids"].pop(secret_id, None)
                raise bad
            if s["uses_left"] is not None:
                s["uses_left"] -= 1
                if s["uses_left"] <= 0:
                    del role["secret_ids"][secret_id]
        return self._login_token(am, role, {"role_name": name}, am.path.rstrip("/"))

    def approle_backend(self, r, am, rest, parts):
        b = r.body
        if parts[0] != "role":
            raise APIError(404, ERR_UNSUPPORTED_PATH)
        if len(parts) == 1:
            if r.op != "list":
                raise APIError(405, ERR_UNSUPPORTED_OP)
            if not am.roles:
                raise APIError(404, [])
            return ok({"keys": sorted(am.roles)}, mount_type="approle")
        name = parts[1].lower()
        role = am.roles.get(name)
        if len(parts) == 2:
            return self._approle_role(r, am, name, role)
        if role is None:
            raise bad_request('role "%s" does not exist' % name)
        sub = "/".join(parts[2:])
        if sub == "role-id":
            if r.op == "read":
                return ok({"role_id": role["role_id"]}, mount_type="approle")
            if r.op == "update":
                rid = b.get("role_id")
                if not isinstance(rid, str) or not rid:
                    raise bad_request("missing role_id")
                role["role_id"] = rid
                return no_content()
            raise APIError(405, ERR_UNSUPPORTED_OP)
        if sub in ("secret-id", "custom-secret-id"):
            return self._approle_secret_id(r, role, sub)
        if sub in ("secret-id/lookup", "secret-id/destroy", "secret-id-accessor/lookup",
                   "secret-id-accessor/destroy"):
            return self._approle_secret_id_entry(r, role, sub)
        raise APIError(404, ERR_UNSUPPORTED_PATH)

    def _approle_role(self, r, am, name, role):
        """role/<name>: create or update, read, delete."""
        b = r.body
        if r.op == "update":
            if role is None:
                role = {"role_id": str(uuid.uuid4()), "bind_secret_id": True,
                        "secret_id_num_uses": 0, "secret_id_ttl": 0, "secret_ids": {},
                        "policies": []}
                am.roles[name] = role
            if "bind_secret_id" in b:
                role["bind_secret_id"] = to_bool(b["bind_secret_id"], "bind_secret_id", True)
            if "secret_id_num_uses" in b:
                role["secret_id_num_uses"] = to_int(b["secret_id_num_uses"],
                                                    "secret_id_num_uses")
            if "secret_id_ttl" in b:
                role["secret_id_ttl"] = parse_duration(b["secret_id_ttl"],
                                                       "secret_id_ttl") or 0
            self._role_token_params(b, role)
            return no_content()
        if role is None:
            if r.op == "delete":
                return no_content()
            raise APIError(404, [])
        if r.op == "read":
            view = self._role_token_view(role)
            view.update({"bind_secret_id": role["bind_secret_id"],
                         "secret_id_num_uses": role["secret_id_num_uses"],
                         "secret_id_ttl": role["secret_id_ttl"],
                         "secret_id_bound_cidrs": None, "local_secret_ids": False})
            return ok(view, mount_type="approle")
        if r.op == "delete":
            del am.roles[name]
            return no_content()
        raise APIError(405, ERR_UNSUPPORTED_OP)

    def _approle_secret_id(self, r, role, sub):
        """role/<name>/secret-id and custom-secret-id: list the accessors, or issue one."""
        b = r.body
        if r.op == "list":
            keys = sorted(s["accessor"] for s in role["secret_ids"].values())
            if not keys:
                raise APIError(404, [])
            return ok({"keys": keys}, mount_type="approle")
        if r.op != "update":
            raise APIError(405, ERR_UNSUPPORTED_OP)
        if sub == "custom-secret-id":
            sid = b.get("secret_id")
            if not isinstance(sid, str) or not sid:
                raise bad_request("missing secret_id")
            if sid in role["secret_ids"]:
                raise bad_request("SecretID is already registered")
        else:
            sid = str(uuid.uuid4())
        ttl = parse_duration(b.get("ttl"), "ttl") if b.get("ttl") is not None \
            else role["secret_id_ttl"]
        uses = to_int(b.get("num_uses"), "num_uses", role["secret_id_num_uses"])
        acc = str(uuid.uuid4())
        role["secret_ids"][sid] = {"accessor": acc, "uses_left": uses or None,
                                   "expire_at": (clock.now() + ttl) if ttl else None,
                                   "created": clock.now(), "num_uses": uses, "ttl": ttl or 0}
        return ok({"secret_id": sid, "secret_id_accessor": acc,
                   "secret_id_ttl": ttl or 0, "secret_id_num_uses": uses},
                  mount_type="approle")

    def _approle_secret_id_entry(self, r, role, sub):
        """role/<name>/secret-id(-accessor)/lookup|destroy."""
        b = r.body
        if r.op not in ("update", "delete"):
            raise APIError(405, ERR_UNSUPPORTED_OP)
        if sub.startswith("secret-id-accessor"):
            acc = b.get("secret_id_accessor") or ""
            sid = next((k for k, v in role["secret_ids"].items() if v["accessor"] == acc), None)
        else:
            sid = b.get("secret_id") or ""
        s = role["secret_ids"].get(sid) if sid else None
        if sub.endswith("destroy"):
            if sid:
                role["secret_ids"].pop(sid, None)
            return no_content()
        if s is None:
            raise APIError(404, [])
        return ok({"secret_id_accessor": s["accessor"], "secret_id_num_uses": s["num_uses"],
                   "secret_id_ttl": s["ttl"],
                   "creation_time": rfc3339(int(s["created"] * 1e9)),
                   "expiration_time": (rfc3339(int(s["expire_at"] * 1e9))
                                       if s["expire_at"] else "0001-01-01T00:00:00Z"),
                   "metadata": {}, "cidr_list": [], "token_bound_cidrs": []},
                  mount_type="approle")
