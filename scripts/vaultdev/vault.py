"""The fake Vault: its state, the request path (namespace, seal, login, token,
routing, ACL, handler, wrapping) and the secret engines' dispatch.  Each concern is a
mixin in its own module; Vault puts them together.

Depends on the mixin modules and on api, common, values, edition, namespaces, quotas,
clock and ttl.
"""

import json
import threading
import uuid
from collections import deque

from . import clock, namespaces, quotas
from . import edition as editions
from . import ttl as ttlcalc
from .api import APIError, ERR_SEALED, ERR_UNSUPPORTED_OP, bad_request, err_resp, jresp
from .approle import AppRole
from .auth import AuthMethods
from .common import Refuse
from .control import Control
from .database import Database
from .jwt import JWT
from .kv import KV
from .mounts import KV_V1_DEFAULT_LEASE, AuthMount, Mounts, SecretMount
from .policy import ACL, DEFAULT_POLICY, Policy
from .system import System
from .tokens import Token, Tokens
from .values import new_accessor, norm_mount, parse_bool_str, short_hex
from .wrapping import Wrapping


class Vault(Control, ACL, Tokens, Mounts, System, Wrapping, AuthMethods, AppRole, JWT, KV,
            Database):
    """The server's whole state, and one request through it (handle)."""

    def __init__(self, root_token, kv1_mounts, kv2_mounts, edition=None):
        self.lock = threading.RLock()
        self.edition = edition or editions.parse(editions.DEFAULT)
        # the system's max_lease_ttl / default_lease_ttl (server config; 768h each in Vault)
        self.max_lease_ttl = ttlcalc.SYSTEM_MAX_LEASE_TTL
        self.default_lease_ttl = ttlcalc.SYSTEM_DEFAULT_LEASE_TTL
        self.standby = False
        self.quotas = quotas.Quotas()
        self.sealed = False
        self.cluster_name = "vault-cluster-" + short_hex()
        self.cluster_id = str(uuid.uuid4())
        self.tokens = {}
        self.accessors = {}
        self.policies = {}
        self.leases = {}
        self.wraps = {}
        self.mounts = {}
        self.auth_mounts = {}
        # test-control state
        self.faults = []
        self.fault_seq = 0
        self.counters = {}
        self.total = 0
        self.request_log = deque(maxlen=1000)

        self.policies["default"] = Policy("default", DEFAULT_POLICY)
        self.mounts["secret/"] = SecretMount("secret/", "kv", "2", "key/value secret storage")
        self.mounts["cubbyhole/"] = SecretMount("cubbyhole/", "cubbyhole", None,
                                                "per-token private secret storage")
        self.mounts["database/"] = SecretMount("database/", "database", None,
                                               "fake dynamic database credentials")
        self.mounts["identity/"] = SecretMount("identity/", "identity", None, "identity store")
        self.mounts["sys/"] = SecretMount("sys/", "system", None, "system endpoints")
        for name in kv1_mounts:
            p = norm_mount(name)
            self.mounts[p] = SecretMount(p, "kv", "1", "key/value secret storage")
        for name in kv2_mounts:
            p = norm_mount(name)
            self.mounts[p] = SecretMount(p, "kv", "2", "key/value secret storage")
        self.auth_mounts["token/"] = AuthMount("token/", "token", "token based credentials")
        self.root_ns = namespaces.Namespace("", self.mounts, self.auth_mounts, self.policies)
        self.namespaces = {"": self.root_ns}
        self.cur_ns = self.root_ns
        now = clock.now()
        self.root = Token(id=root_token, accessor=new_accessor(), policies=["root"],
                          display_name="root", creation_time=now, ttl=0, expire_at=None,
                          num_uses=0, renewable=False, path="auth/token/root", orphan=True)
        self._add_token(self.root)

    def new_namespace(self, path, custom_metadata=None):
        """What Vault Enterprise gives a new namespace: system mounts, no secret/."""
        mounts = {
            "cubbyhole/": SecretMount("cubbyhole/", "cubbyhole", None,
                                      "per-token private secret storage"),
            "identity/": SecretMount("identity/", "identity", None, "identity store"),
            "sys/": SecretMount("sys/", "system", None, "system endpoints"),
        }
        auth = {"token/": AuthMount("token/", "token", "token based credentials")}
        pols = {"default": Policy("default", DEFAULT_POLICY)}
        return namespaces.Namespace(path, mounts, auth, pols, custom_metadata)

    def enter(self, ns):
        self.cur_ns = ns
        self.mounts, self.auth_mounts, self.policies = ns.mounts, ns.auth_mounts, ns.policies

    def handle(self, r):
        with self.lock:
            try:
                if self.edition.namespaces:
                    ns_path, r.path = namespaces.resolve(
                        self.namespaces, r.headers.get("X-Vault-Namespace"), r.path)
                    self.enter(self.namespaces[ns_path])
                resp = self._handle(r)
            except APIError as e:
                return err_resp(e.status, e.errors)
            except Refuse as e:
                return err_resp(e.status, e.errors)
            finally:
                self.enter(self.root_ns)
            if not self.edition.mount_type_field and isinstance(resp.obj, dict) \
                    and "mount_type" in resp.obj:
                obj = {k: v for k, v in resp.obj.items() if k != "mount_type"}
                resp = jresp(resp.status, obj, headers=resp.headers)
            return resp

    def _prepare(self, r):
        """Operation, list slash, request data (query for reads, JSON body for writes)."""
        m = r.method
        if m in ("GET", "HEAD"):
            op = "read"
            if "list" in r.query:
                try:
                    if parse_bool_str(r.query["list"]):
                        op = "list"
                except ValueError:
                    raise APIError(400, [])
        elif m == "LIST":
            op = "list"
        elif m in ("POST", "PUT"):
            op = "update"
        elif m == "PATCH":
            op = "patch"
        elif m == "DELETE":
            op = "delete"
        else:
            raise APIError(405, [])
        r.op = op
        if op == "list" and not r.path.endswith("/"):
            r.path += "/"
        if op in ("update", "patch"):
            raw = r.body_bytes
            if raw and raw.strip():
                try:
                    body = json.loads(raw.decode("utf-8"))
                except (ValueError, UnicodeDecodeError) as e:
                    raise bad_request("failed to parse JSON input: %s" % e)
                if body is None:
                    body = {}
                if not isinstance(body, dict):
                    raise bad_request("failed to parse JSON input: json: cannot unmarshal %s "
                                      "into Go value of type map[string]interface {}"
                                      % type(body).__name__)
                r.body = body
        else:
            r.body = {k: v for k, v in r.query.items() if k != "list"}

    def _handle(self, r):
        self.expire_tokens()
        p = r.path
        if p in ("sys/health", "sys/health/"):
            return self.sys_health(r)
        if p in ("sys/seal-status", "sys/seal-status/"):
            if r.method not in ("GET", "HEAD"):
                raise APIError(405, [])
            return jresp(200, self.seal_status_body())
        if self.sealed:
            raise APIError(503, ERR_SEALED)
        self._prepare(r)
        p = r.path
        if p in ("sys/init", "sys/leader"):
            return self.sys_unauth(r)
        if p in ("sys/internal/ui/mounts", "sys/internal/ui/mounts/"):
            if r.op != "read":
                raise APIError(405, ERR_UNSUPPORTED_OP)
            return self.ui_mounts_list()
        if p.startswith("sys/internal/ui/mounts/"):
            return self.ui_mount_read(r, p[len("sys/internal/ui/mounts/"):])
        login = self.login_handler(r)
        if login is not None:
            return login(r)
        if p == "sys/wrapping/unwrap" and r.op == "update" and not r.body.get("token"):
            return self.unwrap_via_header(r)

        tok = self.authenticate(r)
        handler, need, sudo, acl_path = self.route(r, tok)
        self.check_acl(tok, acl_path, need, sudo)
        self.use_token(tok)
        resp = handler(r, tok)
        if r.wrap_ttl_raw and resp.status == 200 and isinstance(resp.obj, dict) \
                and "request_id" in resp.obj and not p.startswith("sys/wrapping/"):
            resp = self.wrap_response(r, resp.obj)
        return resp

    @staticmethod
    def need_for(op, exists=None):
        if op == "read":
            return {"read"}
        if op == "list":
            return {"list"}
        if op == "delete":
            return {"delete"}
        if op == "patch":
            return {"patch"}
        if exists is None:
            return {"create", "update"}
        return {"update"} if exists else {"create"}

    def route(self, r, tok):
        """Return (handler, needed caps, sudo required, acl path)."""
        p = r.path
        if p.startswith("sys/"):
            h, sudo = self.sys_route(r)
            return h, self.need_for(r.op), sudo, p
        if p.startswith("auth/"):
            am, rest = self.find_auth_mount(p)
            if am is None:
                return self.no_handler, self.need_for(r.op), False, p
            if am.type == "token":
                sudo = rest in ("revoke-orphan", "accessors/")
                return (lambda rr, t: self.token_backend(rr, t, rest)), self.need_for(r.op), sudo, p
            return (lambda rr, t: self.auth_backend(rr, t, am, rest)), self.need_for(r.op), False, p
        m, rest = self.find_mount(p)
        if m is None:
            return self.no_handler, self.need_for(r.op), False, p
        exists = None
        if m.type == "kv" and r.op == "update":
            if m.version == "2":
                if rest.startswith("data/"):
                    e = m.kv.get(rest[5:])
                    exists = bool(e and e["current_version"])
                elif rest.startswith("metadata/"):
                    exists = rest[9:] in m.kv
                elif rest.split("/", 1)[0] in ("delete", "undelete", "destroy", "config"):
                    exists = True
            else:
                exists = rest in m.kv
        elif m.type == "cubbyhole" and r.op == "update":
            exists = rest in m.cubby.get(tok.id, {})
        return (lambda rr, t: self.secret_backend(rr, t, m, rest)), self.need_for(r.op, exists), \
            False, p

    def no_handler(self, r, tok):
        raise APIError(404, ['no handler for route "%s". route entry not found.' % r.path])

    def secret_backend(self, r, tok, m, rest):
        if m.type == "kv":
            if m.version == "2":
                return self.kv2(r, m, rest)
            return self.kv1(r, m, m.kv, rest, KV_V1_DEFAULT_LEASE, "kv")
        if m.type == "cubbyhole":
            store = m.cubby.setdefault(tok.id, {})
            return self.kv1(r, m, store, rest, 0, "cubbyhole")
        if m.type == "database":
            return self.database(r, m, rest, tok)
        return self.no_handler(r, tok)
