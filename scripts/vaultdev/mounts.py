"""Secret and auth mounts: their records, finding the mount of a path, and the
endpoints that manage them (sys/mounts, sys/auth, sys/internal/ui/mounts).

Depends on api, values and namespaces; the Mounts mixin of vault.Vault reads
self.mounts, self.auth_mounts, self.namespaces and self.cur_ns, and upgrades a KV
mount with the KV mixin's _kv2_put.
"""

import json
import uuid

from . import namespaces
from .api import APIError, ERR_NO_TOKEN, ERR_UNSUPPORTED_OP, bad_request, legacy, no_content, ok
from .values import norm_mount, short_hex

KV_V1_DEFAULT_LEASE = 2764800          # 32 days (the mount default TTL)


class SecretMount:
    def __init__(self, path, mtype, version=None, description=""):
        self.path = path                  # "secret/"
        self.type = mtype                 # kv | cubbyhole | database | system | identity
        self.version = version            # "1" | "2" | None
        self.description = description
        self.accessor = "%s_%s" % (mtype, short_hex())
        self.uuid = str(uuid.uuid4())
        self.kv = {}                      # v1: path -> dict; v2: path -> entry dict
        self.config = {"max_versions": 0, "cas_required": False, "delete_version_after": 0}
        self.roles = {}                   # database roles (decorative)
        self.cubby = {}                   # cubbyhole: token id -> {path: data}

    def options(self):
        if self.type == "kv":
            return {"version": self.version or "1"}
        return None

    def info(self, with_path=False):
        return _mount_output(self, {"default_lease_ttl": 0, "force_no_cache": False,
                                    "max_lease_ttl": 0},
                             self.type == "cubbyhole", self.options(),
                             self.path if with_path else None)


class AuthMount:
    def __init__(self, path, mtype, description=""):
        self.path = path                  # "approle/" (without the auth/ prefix)
        self.type = mtype
        self.description = description
        self.accessor = "auth_%s_%s" % (mtype, short_hex())
        self.uuid = str(uuid.uuid4())
        self.roles = {}
        self.users = {}
        self.config = {}

    def info(self, with_path=False):
        return _mount_output(self, {"default_lease_ttl": 0, "force_no_cache": False,
                                    "max_lease_ttl": 0, "token_type": "default-service"},
                             False, None, "auth/" + self.path if with_path else None)


def _mount_output(m, config, local, options, path):
    """One mount as sys/mounts, sys/auth and the mount lookup show it (Vault's
    MountOutput, the same for secret and auth mounts); path only when asked for."""
    d = {
        "accessor": m.accessor,
        "config": config,
        "description": m.description,
        "external_entropy_access": False,
        "local": local,
        "options": options,
        "plugin_version": "",
        "running_plugin_version": "",
        "running_sha256": "",
        "seal_wrap": False,
        "type": m.type,
        "uuid": m.uuid,
    }
    if path is not None:
        d["path"] = path
    return d


class Mounts:
    """Mount lookup and the sys endpoints of mounts (a mixin of vault.Vault)."""

    def find_mount(self, p):
        best = None
        for mp, m in self.mounts.items():
            if m.type in ("system",):
                continue
            if p.startswith(mp) or p + "/" == mp:
                if best is None or len(mp) > len(best.path):
                    best = m
        if best is None:
            return None, ""
        return best, p[len(best.path):]

    def find_auth_mount(self, p):
        sub = p[len("auth/"):]
        best = None
        for mp, m in self.auth_mounts.items():
            if sub.startswith(mp) or sub + "/" == mp:
                if best is None or len(mp) > len(best.path):
                    best = m
        if best is None:
            return None, ""
        return best, sub[len(best.path):]

    def ui_mounts_list(self):
        secret = {mp: m.info() for mp, m in sorted(self.mounts.items())
                  if m.type not in ("system", "identity")}
        auth = {mp: am.info() for mp, am in sorted(self.auth_mounts.items())}
        return ok({"auth": auth, "secret": secret}, mount_type="system")

    def ui_mount_read(self, r, sub):
        # Vault logical_system.go pathInternalUIMountRead: the path is in the system
        # backend's Unauthenticated list, so core runs it as a login request (no
        # UseToken: a num_uses token is not spent); the handler only looks the token
        # up (fetchACLTokenEntryAndEntity) and returns its error as is: for an unknown
        # or expired token that is the version's invalid-token error (plain
        # "permission denied" before 1.17), with no token plain "permission denied".
        # The mount is matched first: a path on no mount gets the preflight 403
        # whatever the token (MatchingMountEntry == nil returns before the token
        # is fetched), so that the endpoint cannot be used to list mounts.
        if r.op != "read":
            raise APIError(405, ERR_UNSUPPORTED_OP)
        shown = sub if sub.endswith("/") else sub + "/"
        denied = APIError(403, ["preflight capability check returned 403, please ensure "
                                "client's policies grant access to path \"%s\"" % shown])
        # The router matches mounts of child namespaces too (a path that starts with
        # a child namespace's name); then data.path is the mount's namespace path
        # plus its own, and access is checked on the full path
        # (logical_system.go pathInternalUIMountRead: me.Namespace.Path + path).
        home = self.cur_ns
        child_path, inner = namespaces.descend(self.namespaces, home.path, sub)
        self.enter(self.namespaces[child_path])
        try:
            if inner.startswith("auth/"):
                am, _ = self.find_auth_mount(inner)
                if am is None:
                    raise denied
                info, mpath = am.info(with_path=True), "auth/" + am.path
            else:
                m, _ = self.find_mount(inner)
                if m is None or m.type == "identity":
                    raise denied
                info, mpath = m.info(with_path=True), m.path
        finally:
            self.enter(home)
        if child_path != home.path:
            info["path"] = child_path + mpath
        if not r.token:
            raise APIError(403, ERR_NO_TOKEN)
        tok = self.lookup_token(r.token)
        if tok is None:
            raise APIError(403, self.edition.invalid_token_errors)
        if not self.mount_visible(tok, child_path[len(home.path):] + mpath):
            raise denied
        return ok(info, mount_type="system")

    def sys_mounts(self, r, tok):
        sub = r.path[len("sys/mounts"):].strip("/")
        if not sub:
            if r.op != "read":
                raise APIError(405, ERR_UNSUPPORTED_OP)
            data = {mp: m.info() for mp, m in sorted(self.mounts.items())}
            return legacy(data)
        tune = False
        if sub.endswith("/tune"):
            tune = True
            sub = sub[:-5]
        mp = norm_mount(sub)
        if tune:
            m = self.mounts.get(mp)
            if m is None:
                raise bad_request("cannot fetch sysview for path %s" % json.dumps(mp))
            if r.op == "read":
                d = {"default_lease_ttl": KV_V1_DEFAULT_LEASE, "max_lease_ttl": KV_V1_DEFAULT_LEASE,
                     "force_no_cache": False, "description": m.description,
                     "options": m.options()}
                return legacy(d)
            if r.op != "update":
                raise APIError(405, ERR_UNSUPPORTED_OP)
            opts = r.body.get("options") or {}
            if m.type == "kv" and isinstance(opts, dict) and str(opts.get("version", "")) == "2" \
                    and m.version != "2":
                self._kv_upgrade(m)
            if isinstance(r.body.get("description"), str):
                m.description = r.body["description"]
            return no_content()
        if r.op == "read":
            m = self.mounts.get(mp)
            if m is None:
                raise bad_request("No secret engine mount at %s" % mp)
            return ok(m.info(), mount_type="system")
        if r.op == "delete":
            if mp in ("sys/", "cubbyhole/", "identity/"):
                raise bad_request("cannot unmount %s" % json.dumps(mp))
            self.mounts.pop(mp, None)
            self.leases = {k: v for k, v in self.leases.items() if not k.startswith(mp)}
            return no_content()
        if r.op != "update":
            raise APIError(405, ERR_UNSUPPORTED_OP)
        b = r.body
        mtype = b.get("type")
        if not isinstance(mtype, str) or not mtype:
            raise bad_request("backend type must be specified as a string")
        opts = b.get("options") if isinstance(b.get("options"), dict) else {}
        version = None
        if mtype in ("kv", "generic"):
            mtype, version = "kv", "2" if str(opts.get("version", "1")) == "2" else "1"
        elif mtype == "kv-v2":
            mtype, version = "kv", "2"
        elif mtype == "kv-v1":
            mtype, version = "kv", "1"
        elif mtype != "database":
            raise bad_request("plugin not found in the catalog: %s" % mtype)
        for existing in self.mounts:
            if mp.startswith(existing) or existing.startswith(mp):
                raise bad_request("path is already in use at %s" % existing)
        if mp.startswith("auth/"):
            raise bad_request("cannot mount under auth/")
        desc = b.get("description") if isinstance(b.get("description"), str) else ""
        self.mounts[mp] = SecretMount(mp, mtype, version, desc)
        return no_content()

    def _kv_upgrade(self, m):
        old = m.kv
        m.kv = {}
        m.version = "2"
        for path, data in old.items():
            self._kv2_put(m, path, data)

    def sys_auth(self, r, tok):
        sub = r.path[len("sys/auth"):].strip("/")
        if not sub:
            if r.op != "read":
                raise APIError(405, ERR_UNSUPPORTED_OP)
            data = {mp: am.info() for mp, am in sorted(self.auth_mounts.items())}
            return legacy(data)
        if sub.endswith("/tune"):
            am = self.auth_mounts.get(norm_mount(sub[:-5]))
            if am is None:
                raise bad_request("cannot fetch sysview for path \"auth/%s\"" % sub[:-5])
            if r.op == "read":
                # an untuned mount's tune shows the system's TTLs (--default/--max-lease-ttl)
                return legacy({"default_lease_ttl": self.default_lease_ttl,
                                     "max_lease_ttl": self.max_lease_ttl, "force_no_cache": False,
                                     "description": am.description,
                                     "token_type": "default-service"})
            return no_content()
        mp = norm_mount(sub)
        if r.op == "read":
            am = self.auth_mounts.get(mp)
            if am is None:
                raise bad_request("No auth engine at %s" % mp)
            return ok(am.info(), mount_type="system")
        if r.op == "delete":
            if mp == "token/":
                raise bad_request("token credential backend cannot be disabled")
            self.auth_mounts.pop(mp, None)
            return no_content()
        if r.op != "update":
            raise APIError(405, ERR_UNSUPPORTED_OP)
        mtype = r.body.get("type")
        if not isinstance(mtype, str) or not mtype:
            raise bad_request("backend type must be specified as a string")
        if mtype not in ("approle", "userpass", "kubernetes", "jwt", "oidc", "cert", "ldap",
                         "github", "aws", "gcp", "azure"):
            raise bad_request("plugin not found in the catalog: %s" % mtype)
        for existing in self.auth_mounts:
            if mp.startswith(existing) or existing.startswith(mp):
                raise bad_request("path is already in use at auth/%s" % existing)
        desc = r.body.get("description") if isinstance(r.body.get("description"), str) else ""
        self.auth_mounts[mp] = AuthMount(mp, mtype, desc)
        return no_content()
