"""The JWT, OIDC and Kubernetes auth methods: config, roles and login.  The JWT's
signature is not verified; only its claims are checked.

Depends on api, values and clock; the JWT mixin of vault.Vault logs in through the
AuthMethods mixin's _login_token.
"""

import binascii
import json

from . import clock
from .api import APIError, ERR_DENIED, ERR_UNSUPPORTED_PATH, bad_request, no_content, ok
from .values import b64url_json, str_list


class JWT:
    """auth/<jwt, oidc or kubernetes mount>/ (a mixin of vault.Vault)."""

    def jwt_login(self, am, b):
        role_name = b.get("role") or am.config.get("default_role")
        jwt = b.get("jwt")
        if not role_name or not isinstance(role_name, str):
            raise bad_request("missing role")
        role = am.roles.get(role_name.lower())
        if role is None:
            raise bad_request('invalid role name "%s"' % role_name)
        if not isinstance(jwt, str) or not jwt:
            raise bad_request("missing jwt")
        parts = jwt.split(".")
        try:
            if len(parts) != 3:
                raise ValueError
            claims = b64url_json(parts[1])
            if not isinstance(claims, dict):
                raise ValueError
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise bad_request("error validating token: malformed token")
        exp = claims.get("exp")
        if isinstance(exp, (int, float)) and clock.now() > exp + 60:
            raise bad_request("error validating token: token is expired")
        if am.type == "kubernetes":
            meta, display = self._k8s_identity(am, role, role_name, claims)
        else:
            meta, display = self._jwt_identity(am, role, role_name, claims)
        return self._login_token(am, role, meta, display)

    @staticmethod
    def _k8s_identity(am, role, role_name, claims):
        """A service account token's (metadata, display name); 403 for one the role
        does not bind."""
        denied = APIError(403, ERR_DENIED)
        k8s = claims.get("kubernetes.io") if isinstance(claims.get("kubernetes.io"), dict) \
            else {}
        sa = (k8s.get("serviceaccount") or {}) if isinstance(k8s, dict) else {}
        sa_name = claims.get("kubernetes.io/serviceaccount/service-account.name") \
            or sa.get("name") or ""
        sa_ns = claims.get("kubernetes.io/serviceaccount/namespace") \
            or k8s.get("namespace") or ""
        sa_uid = claims.get("kubernetes.io/serviceaccount/service-account.uid") \
            or sa.get("uid") or ""
        names = role.get("bound_service_account_names") or []
        nss = role.get("bound_service_account_namespaces") or []
        if "*" not in names and sa_name not in names:
            raise denied
        if "*" not in nss and sa_ns not in nss:
            raise denied
        meta = {"role": role_name.lower(), "service_account_name": sa_name,
                "service_account_namespace": sa_ns, "service_account_secret_name": "",
                "service_account_uid": sa_uid}
        return meta, "%s-%s-%s" % (am.path.rstrip("/"), sa_ns, sa_name)

    @staticmethod
    def _jwt_identity(am, role, role_name, claims):
        """A JWT's (metadata, display name) once its claims meet the role's bounds."""
        auds = role.get("bound_audiences") or []
        if auds:
            aud = claims.get("aud")
            aud = [aud] if isinstance(aud, str) else (aud or [])
            if not set(auds) & set(aud):
                raise bad_request("error validating claims: aud claim does not match any "
                                  "bound audience")
        subj = role.get("bound_subject")
        if subj and claims.get("sub") != subj:
            raise bad_request("error validating claims: sub claim does not match bound "
                              "subject")
        for ck, cv in (role.get("bound_claims") or {}).items():
            allowed = cv if isinstance(cv, list) else [cv]
            if claims.get(ck) not in allowed:
                raise bad_request("error validating claims: claim %s does not match any "
                                  "associated bound claim values" % json.dumps(ck))
        uc = role.get("user_claim") or "sub"
        if uc not in claims:
            raise bad_request('claim "%s" not found in token' % uc)
        return {"role": role_name.lower()}, "%s-%s" % (am.path.rstrip("/"), claims.get(uc))

    def jwt_backend(self, r, am, parts):
        b = r.body
        if parts[0] == "config":
            if r.op == "update":
                am.config.update({k: v for k, v in b.items() if k not in
                                  ("token_reviewer_jwt", "kubernetes_ca_cert", "pem_keys",
                                   "jwt_validation_pubkeys", "oidc_client_secret")})
                return no_content()
            if r.op == "read":
                return ok(dict(am.config), mount_type=am.type)
        if parts[0] == "role":
            if len(parts) == 1:
                if r.op != "list" or not am.roles:
                    raise APIError(404, [])
                return ok({"keys": sorted(am.roles)}, mount_type=am.type)
            name = parts[1].lower()
            if r.op == "update":
                role = am.roles.setdefault(name, {})
                for key in ("bound_service_account_names", "bound_service_account_namespaces",
                            "bound_audiences"):
                    if key in b:
                        role[key] = str_list(b[key])
                for key in ("user_claim", "bound_subject", "role_type", "audience"):
                    if key in b:
                        role[key] = b[key]
                if isinstance(b.get("bound_claims"), dict):
                    role["bound_claims"] = b["bound_claims"]
                self._role_token_params(b, role)
                return no_content()
            if r.op == "read":
                role = am.roles.get(name)
                if role is None:
                    raise APIError(404, [])
                view = self._role_token_view(role)
                view.update({k: v for k, v in role.items()
                             if k not in ("policies", "entity_id") and not k.startswith("token_")})
                return ok(view, mount_type=am.type)
            if r.op == "delete":
                am.roles.pop(name, None)
                return no_content()
        raise APIError(404, ERR_UNSUPPORTED_PATH)
