"""Auth methods: the login route, the token fields every role shares (token_ttl,
token_policies, ...), the login token, and userpass.  AppRole and JWT/Kubernetes
have their own modules.

Depends on api, values and policy; the AuthMethods mixin of vault.Vault uses
the Tokens mixin to issue login tokens.
"""

import secrets
import uuid

from .api import (APIError, ERR_UNSUPPORTED_OP, ERR_UNSUPPORTED_PATH, bad_request, err_resp,
                  no_content, ok)
from .policy import sanitize_policies
from .values import parse_duration, str_list, to_bool, to_int


class AuthMethods:
    """Login and the auth mounts' own endpoints (a mixin of vault.Vault)."""

    def login_handler(self, r):
        if not r.path.startswith("auth/"):
            return None
        am, rest = self.find_auth_mount(r.path)
        if am is None or am.type == "token":
            return None
        if rest == "login" or rest.startswith("login/") or rest == "login/":
            if r.op != "update":
                return lambda rr: err_resp(405, ERR_UNSUPPORTED_OP)
            return lambda rr: self.login(rr, am, rest)
        return None

    def _role_token_params(self, b, role):
        if "token_policies" in b or "policies" in b:
            role["policies"] = str_list(b.get("token_policies")
                                        if b.get("token_policies") is not None
                                        else b.get("policies"))
        for key in ("token_ttl", "token_max_ttl", "token_explicit_max_ttl", "token_period"):
            alt = key[len("token_"):]
            if key in b or alt in b:
                role[key] = parse_duration(b.get(key) if key in b else b.get(alt), key) or 0
        if "token_num_uses" in b:
            role["token_num_uses"] = to_int(b.get("token_num_uses"), "token_num_uses")
        if "token_no_default_policy" in b:
            role["token_no_default_policy"] = to_bool(b.get("token_no_default_policy"),
                                                      "token_no_default_policy")

    @staticmethod
    def _role_token_view(role):
        return {"token_policies": role.get("policies", []),
                "policies": role.get("policies", []),
                "token_ttl": role.get("token_ttl", 0),
                "token_max_ttl": role.get("token_max_ttl", 0),
                "token_explicit_max_ttl": role.get("token_explicit_max_ttl", 0),
                "token_period": role.get("token_period", 0),
                "token_num_uses": role.get("token_num_uses", 0),
                "token_no_default_policy": role.get("token_no_default_policy", False),
                "token_type": "default",
                "token_bound_cidrs": []}

    def _login_token(self, am, role, meta, display):
        pols = sanitize_policies(role.get("policies", []),
                                 add_default=not role.get("token_no_default_policy", False))
        # request_handling.go handleLoginRequest: CalculateTTL(0, token_ttl, token_period,
        # token_max_ttl, token_explicit_max_ttl), its warnings on the login response
        ttl, warns = self.calc_ttl(backend_ttl=role.get("token_ttl", 0),
                                   period=role.get("token_period", 0),
                                   backend_max=role.get("token_max_ttl", 0),
                                   explicit_max=role.get("token_explicit_max_ttl", 0))
        if "entity_id" not in role:
            role["entity_id"] = str(uuid.uuid4())
        tok = self.issue_token(pols, ttl, renewable=True,
                               num_uses=role.get("token_num_uses", 0), meta=meta,
                               display_name=display, path="auth/%slogin" % am.path,
                               orphan=True, entity_id=role["entity_id"],
                               explicit_max_ttl=role.get("token_explicit_max_ttl", 0),
                               period=role.get("token_period", 0))
        tok.role_ref = role
        return ok(None, auth=self.auth_block(tok), warnings=warns or None, mount_type="")

    def login(self, r, am, rest):
        b = r.body
        if am.type == "approle":
            return self.approle_login(am, b)
        if am.type == "userpass":
            return self.userpass_login(am, rest, b)
        if am.type in ("kubernetes", "jwt", "oidc"):
            return self.jwt_login(am, b)
        raise bad_request("login for auth method type %s is not implemented by vault-dev-server"
                          % am.type)

    def auth_backend(self, r, tok, am, rest):
        parts = rest.rstrip("/").split("/") if rest else [""]
        if am.type == "approle":
            return self.approle_backend(r, am, rest, parts)
        if am.type == "userpass":
            return self.userpass_backend(r, am, parts)
        if am.type in ("kubernetes", "jwt", "oidc"):
            return self.jwt_backend(r, am, parts)
        raise APIError(404, ERR_UNSUPPORTED_PATH)

    # userpass

    def userpass_login(self, am, rest, b):
        user = rest[len("login/"):] if rest.startswith("login/") else ""
        u = am.users.get(user.lower())
        pw = b.get("password")
        if not user or u is None or not isinstance(pw, str) or \
                not secrets.compare_digest(pw.encode(), u["password"].encode()):
            raise bad_request("invalid username or password")
        return self._login_token(am, u, {"username": user.lower()},
                                 "%s-%s" % (am.path.rstrip("/"), user.lower()))

    def userpass_backend(self, r, am, parts):
        b = r.body
        if parts[0] == "users":
            if len(parts) == 1:
                if r.op != "list":
                    raise APIError(405, ERR_UNSUPPORTED_OP)
                if not am.users:
                    raise APIError(404, [])
                return ok({"keys": sorted(am.users)}, mount_type="userpass")
            user = parts[1].lower()
            if r.op == "update":
                u = am.users.setdefault(user, {"password": ""})
                if "password" in b:
                    u["password"] = str(b["password"])
                self._role_token_params(b, u)
                return no_content()
            if r.op == "read":
                u = am.users.get(user)
                if u is None:
                    raise APIError(404, [])
                return ok(self._role_token_view(u), mount_type="userpass")
            if r.op == "delete":
                am.users.pop(user, None)
                return no_content()
        raise APIError(404, ERR_UNSUPPORTED_PATH)
