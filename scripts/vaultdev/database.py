"""A fake database secrets engine: roles, connections, and credentials with a
renewable lease.

Depends on api, values, clock and leases; the Database mixin of vault.Vault keeps
its leases in self.leases.
"""

import secrets

from . import clock, leases
from .api import APIError, ERR_UNSUPPORTED_OP, ERR_UNSUPPORTED_PATH, no_content, ok
from .values import parse_duration

DB_LEASE_TTL = 3600


class Database:
    """database/ (a mixin of vault.Vault)."""

    def database(self, r, m, rest, tok):
        parts = rest.rstrip("/").split("/") if rest else [""]
        if parts[0] == "creds" and len(parts) == 2 and parts[1]:
            if r.op != "read":
                raise APIError(405, ERR_UNSUPPORTED_OP)
            role = parts[1]
            lease_id = "%screds/%s/%s" % (m.path, role, secrets.token_urlsafe(18))
            rc = m.roles.get(role) or {}
            # path_creds_create.go: Secret.TTL/MaxTTL = the role's default_ttl/max_ttl, then
            # request_handling.go CalculateTTL against the mount; this fake mount's default
            # lease TTL is DB_LEASE_TTL (as if tuned to 1h), its max the system's
            ttl, warns = leases.issue(self.leases, lease_id, clock.now(),
                                      rc.get("default_ttl", 0), rc.get("max_ttl", 0),
                                      DB_LEASE_TTL, self.max_lease_ttl, tok.id, m.path, role)
            suffix = secrets.token_hex(10)
            data = {"username": "v-token-%s-%s" % (role, suffix),
                    "password": secrets.token_urlsafe(15)}
            return ok(data, lease_id=lease_id, renewable=True, lease_duration=ttl,
                      warnings=warns or None, mount_type="database")
        if parts[0] in ("roles", "config") and len(parts) >= 1:
            coll = m.roles if parts[0] == "roles" else m.config.setdefault("connections", {})
            if len(parts) == 1:
                if r.op != "list" or not coll:
                    raise APIError(404, [])
                return ok({"keys": sorted(coll)}, mount_type="database")
            name = parts[1]
            if r.op == "update":
                item = {k: v for k, v in r.body.items() if k not in ("password", "connection_url")}
                if parts[0] == "roles":
                    # path_roles.go: default_ttl/max_ttl are TypeDurationSecond ("30s", "1h",
                    # 90); an update keeps what it does not name, a create starts at 0
                    old = coll.get(name) or {}
                    for key in ("default_ttl", "max_ttl"):
                        item[key] = (parse_duration(r.body[key], key) or 0) if key in r.body \
                            else old.get(key, 0)
                coll[name] = item
                return no_content()
            if r.op == "read":
                if name not in coll:
                    raise APIError(404, [])
                return ok(dict(coll[name]), mount_type="database")
            if r.op == "delete":
                coll.pop(name, None)
                return no_content()
            raise APIError(405, ERR_UNSUPPORTED_OP)
        raise APIError(404, ERR_UNSUPPORTED_PATH)
