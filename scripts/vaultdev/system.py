"""The sys/ endpoints that are not about mounts or wrapping: health, seal status,
init and leader, policies, leases, capabilities, quotas and namespaces, and the
routing of sys/ paths to their handlers.

Depends on api, values, policy, clock, leases, namespaces and database (its lease
TTL); the System mixin of vault.Vault.
"""

import base64
import binascii
import json

from . import clock, leases, namespaces
from .api import (APIError, ERR_UNSUPPORTED_OP, ERR_UNSUPPORTED_PATH, bad_request, jresp, legacy,
                  no_content, ok)
from .database import DB_LEASE_TTL
from .policy import Policy
from .values import parse_bool_str, parse_duration, rfc3339, str_list


class System:
    """sys/ endpoints (a mixin of vault.Vault)."""

    def sys_namespaces(self, r, tok):
        data = namespaces.api(self.namespaces, self.cur_ns.path, r.op,
                              r.path[len("sys/namespaces"):], r.body, self.new_namespace)
        return no_content() if data is None else ok(data, mount_type="system")

    def health_body(self):
        b = {"initialized": True, "sealed": self.sealed, "standby": self.standby,
             "performance_standby": False, "replication_performance_mode": "disabled",
             "replication_dr_mode": "disabled", "server_time_utc": int(clock.now()),
             "version": self.edition.version, "enterprise": self.edition.enterprise,
             "echo_duration_ms": 0,
             "clock_skew_ms": 0, "replication_primary_canary_age_ms": 0}
        if not self.sealed:
            b["cluster_name"] = self.cluster_name
            b["cluster_id"] = self.cluster_id
        return b

    def seal_status_body(self):
        b = {"type": "shamir", "initialized": True, "sealed": self.sealed, "t": 1, "n": 1,
             "progress": 0, "nonce": "", "version": self.edition.version,
             "build_date": "2024-03-01T00:00:00Z", "migration": False, "recovery_seal": False,
             "storage_type": "inmem"}
        if not self.sealed:
            b["cluster_name"] = self.cluster_name
            b["cluster_id"] = self.cluster_id
        return b

    def sys_health(self, r):
        if r.method not in ("GET", "HEAD"):
            raise APIError(405, [])
        q = r.query
        for name in ("standbyok", "perfstandbyok"):
            if name in q:
                try:
                    parse_bool_str(q[name])
                except ValueError:
                    raise bad_request("bad value for %s parameter" % name)
        codes = {"activecode": 200, "sealedcode": 503, "standbycode": 429}
        for name in ("activecode", "sealedcode", "standbycode", "uninitcode", "drsecondarycode",
                     "performancestandbycode", "removedcode", "haunhealthycode"):
            if name in q:
                try:
                    code = int(q[name])
                except ValueError:
                    raise bad_request("bad code value for %s" % name)
                if name in codes:
                    codes[name] = code
        if self.sealed:
            status = codes["sealedcode"]
        elif self.standby:
            # http/sys_health.go: a standby answers standbycode (429) unless standbyok
            status = codes["activecode"] if q.get("standbyok") and \
                parse_bool_str(q["standbyok"]) else codes["standbycode"]
        else:
            status = codes["activecode"]
        return jresp(status, self.health_body())

    def sys_unauth(self, r):
        if r.op != "read":
            raise APIError(405, ERR_UNSUPPORTED_OP)
        if r.path == "sys/init":
            return jresp(200, {"initialized": True})
        return jresp(200, {"ha_enabled": False, "is_self": False,
                           "active_time": "0001-01-01T00:00:00Z",
                           "leader_address": "", "leader_cluster_address": "",
                           "performance_standby": False,
                           "performance_standby_last_remote_wal": 0})

    def sys_route(self, r):
        """Return (handler, sudo)."""
        p = r.path[len("sys/"):]
        parts = p.split("/")
        head = parts[0]
        if head == "mounts":
            return self.sys_mounts, False
        if head == "auth":
            return self.sys_auth, (r.op in ("update", "delete") and len(parts) > 1
                                   and parts[1] != "" and not p.endswith("/tune"))
        if head == "policy" or p.startswith("policies/acl"):
            return self.sys_policy, False
        if head in ("leases", "renew", "revoke", "revoke-prefix", "revoke-force"):
            # logical_system.go PathsSpecial.Root: leases/lookup/*, (leases/)revoke-prefix/*,
            # (leases/)revoke-force/* need sudo
            return self.sys_leases, (p.startswith(("leases/lookup/", "leases/revoke-prefix/",
                                                   "leases/revoke-force/", "revoke-prefix/",
                                                   "revoke-force/")))
        if head == "wrapping":
            return self.sys_wrapping, False
        if head == "quotas":
            return self.sys_quotas, False
        if head == "namespaces" and self.edition.namespaces:
            return self.sys_namespaces, False
        if head in ("capabilities-self", "capabilities", "capabilities-accessor"):
            return self.sys_capabilities, False
        return self.unsupported_path, False

    def sys_quotas(self, r, tok):
        def mount_of(path):
            if path.startswith("auth/"):
                return self.find_auth_mount(path)[0]
            return self.find_mount(path)[0]
        data = self.quotas.handle(r.op, r.path[len("sys/quotas/"):], r.body, parse_duration,
                                  mount_of)
        return no_content() if data is None else ok(data, mount_type="system")

    def unsupported_path(self, r, tok):
        raise APIError(404, ERR_UNSUPPORTED_PATH)

    def sys_policy(self, r, tok):
        p = r.path
        modern = p.startswith("sys/policies/acl")
        base = "sys/policies/acl" if modern else "sys/policy"
        name = p[len(base):].strip("/").lower()
        if not name:
            names = sorted(self.policies.keys()) + ["root"]
            names = sorted(set(names))
            if modern:
                if r.op != "list":
                    raise APIError(405, ERR_UNSUPPORTED_OP)
                return ok({"keys": names}, mount_type="system")
            if r.op not in ("read", "list"):
                raise APIError(405, ERR_UNSUPPORTED_OP)
            return legacy({"keys": names, "policies": names})
        if r.op == "read":
            if name == "root":
                text = ""
            else:
                pol = self.policies.get(name)
                if pol is None:
                    raise APIError(404, [])
                text = pol.text
            if modern:
                return ok({"name": name, "policy": text}, mount_type="system")
            return legacy({"name": name, "rules": text})
        if r.op == "delete":
            if name in ("root", "default"):
                raise bad_request("cannot delete %s policy" % json.dumps(name))
            self.policies.pop(name, None)
            return no_content()
        if r.op != "update":
            raise APIError(405, ERR_UNSUPPORTED_OP)
        if name == "root":
            raise bad_request("cannot update \"root\" policy")
        text = r.body.get("policy")
        if text is None:
            text = r.body.get("rules")
        if not isinstance(text, str) or not text.strip():
            raise bad_request("'policy' parameter not supplied or empty")
        try:
            pol = Policy(name, text)
        except ValueError as e:
            try:
                decoded = base64.b64decode(text, validate=True).decode("utf-8")
                pol = Policy(name, decoded)
            except (ValueError, binascii.Error, UnicodeDecodeError):
                raise bad_request("failed to parse policy: %s" % e)
        self.policies[name] = pol
        return no_content()

    def sys_leases(self, r, tok):
        """sys/leases/{renew,revoke,revoke-prefix,revoke-force,lookup}[/<id>] and the
        deprecated sys/{renew,revoke,revoke-prefix,revoke-force}[/<id>] (vaultdev/leases.py)."""
        parts = r.path[len("sys/"):].split("/")
        if parts[0] == "leases":
            parts = parts[1:]
        action, suffix = parts[0] if parts else "", "/".join(parts[1:])
        if action == "lookup" and r.op == "list":
            keys = leases.list_keys(self.leases, suffix)
            if not keys:
                raise APIError(404, [])
            return ok({"keys": keys}, mount_type="system")
        if action not in ("renew", "revoke", "revoke-prefix", "revoke-force", "lookup"):
            raise APIError(404, ERR_UNSUPPORTED_PATH)
        if r.op != "update" or (action == "lookup" and suffix):
            raise APIError(405, ERR_UNSUPPORTED_OP)
        if action in ("revoke-prefix", "revoke-force"):
            leases.revoke_prefix(self.leases, suffix)
            return no_content()
        lease_id = r.body.get("lease_id") or suffix
        if not lease_id:
            raise bad_request("lease_id must be specified")
        lease = self.leases.get(lease_id)
        now = clock.now()
        if action == "renew":
            if lease_id.startswith("auth/"):
                raise bad_request("tokens cannot be renewed through this endpoint")
            dflt, mx, mount_dflt = self._lease_role_ttls(lease)
            ttl, warns = leases.renew(lease, now,
                                      parse_duration(r.body.get("increment"), "increment") or 0,
                                      dflt, mx, mount_dflt, self.max_lease_ttl)
            return ok(None, lease_id=lease_id, renewable=True, lease_duration=ttl,
                      warnings=warns or None, mount_type="system")
        if action == "revoke":
            self.leases.pop(lease_id, None)
            return no_content()
        return ok(leases.lookup(lease_id, lease, now, rfc3339), mount_type="system")

    def _lease_role_ttls(self, lease):
        """(role default_ttl, role max_ttl, mount default lease TTL) for a lease's renewal;
        secret_creds.go reads the role again at every renewal."""
        if lease is None:
            return 0, 0, self.default_lease_ttl
        m = self.mounts.get(lease.get("mount") or "")
        role = (m.roles.get(lease.get("role")) if m is not None else None) or {}
        return role.get("default_ttl", 0), role.get("max_ttl", 0), DB_LEASE_TTL

    def sys_capabilities(self, r, tok):
        if r.op != "update":
            raise APIError(405, ERR_UNSUPPORTED_OP)
        head = r.path[len("sys/"):]
        target = tok
        if head == "capabilities":
            t = self.lookup_token(r.body.get("token") or "")
            if t is None:
                raise bad_request("invalid token")
            target = t
        elif head == "capabilities-accessor":
            tid = self.accessors.get(r.body.get("accessor") or "")
            target = self.lookup_token(tid) if tid else None
            if target is None:
                raise bad_request("invalid accessor")
        paths = r.body.get("paths")
        if paths is None:
            paths = r.body.get("path")
        paths = str_list(paths) if paths is not None else []
        if not paths:
            raise bad_request("paths must be supplied")
        data = {}
        all_caps = set()
        for path in paths:
            caps = self.capabilities(target, path.lstrip("/"))
            caps = sorted(caps) if caps else ["deny"]
            data[path] = caps
            all_caps.update(caps)
        if len(paths) == 1:
            data["capabilities"] = data[paths[0]]
        else:
            data["capabilities"] = sorted(all_caps)
        return legacy(data)
