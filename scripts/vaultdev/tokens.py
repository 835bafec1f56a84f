"""Tokens: the token record and the token store (issue, look up, authenticate, spend
a use, expire, revoke with children and leases) with its auth/token/ endpoints.

Depends on api, values, policy (sanitize_policies), clock, leases and ttl; the Tokens
mixin of vault.Vault keeps self.tokens and self.accessors.
"""

from . import clock, leases
from . import ttl as ttlcalc
from .api import (APIError, ERR_DENIED, ERR_NO_TOKEN, ERR_UNSUPPORTED_OP, ERR_UNSUPPORTED_PATH,
                  bad_request, no_content, ok)
from .policy import sanitize_policies
from .values import new_accessor, new_token_id, parse_duration, rfc3339, str_list, to_bool, to_int


class Token:
    def __init__(self, **kw):
        self.meta = None
        self.parent = None
        self.period = 0
        self.explicit_max_ttl = 0
        self.entity_id = ""
        self.role_ref = None     # a login token's role/user: renewal reads its TTLs again
        self.__dict__.update(kw)
        self.lease_ttl = self.ttl  # the TTL granted last (the lease's Auth.TTL)

    def expired(self, now):
        return self.expire_at is not None and now >= self.expire_at

    def ttl_left(self, now):
        if self.expire_at is None:
            return 0
        return max(0, int(round(self.expire_at - now)))


class Tokens:
    """The token store and auth/token/ (a mixin of vault.Vault)."""

    def _add_token(self, tok):
        self.tokens[tok.id] = tok
        self.accessors[tok.accessor] = tok.id

    def _revoke(self, tok_id, children=True):
        tok = self.tokens.pop(tok_id, None)
        if tok is None:
            return 0
        self.accessors.pop(tok.accessor, None)
        for ns in self.namespaces.values():
            ns.mounts["cubbyhole/"].cubby.pop(tok_id, None)
        # expiration.go RevokeByToken: a token's leases are revoked with it
        for lid in [k for k, v in self.leases.items() if v.get("token") == tok_id]:
            del self.leases[lid]
        n = 1
        if children:
            for child in [t.id for t in self.tokens.values() if t.parent == tok_id]:
                n += self._revoke(child, True)
        else:
            for t in self.tokens.values():
                if t.parent == tok_id:
                    t.parent = None
                    t.orphan = True
        return n

    def issue_token(self, policies, ttl, renewable=True, num_uses=0, meta=None,
                    display_name="token", path="auth/token/create", parent=None, orphan=False,
                    entity_id="", explicit_max_ttl=0, period=0, token_id=None):
        now = clock.now()
        if explicit_max_ttl and ttl == 0:
            ttl = explicit_max_ttl    # token_store.go: root tokens are still bound by it
        tok = Token(id=token_id or new_token_id(), accessor=new_accessor(), policies=policies,
                    display_name=display_name, creation_time=now, ttl=ttl,
                    expire_at=(now + ttl) if ttl else None, num_uses=num_uses,
                    renewable=bool(renewable and ttl), path=path, orphan=orphan, meta=meta,
                    parent=parent, entity_id=entity_id, explicit_max_ttl=explicit_max_ttl,
                    period=period, ns=self.cur_ns.path)
        self._add_token(tok)
        return tok

    def auth_block(self, tok):
        return {
            "client_token": tok.id,
            "accessor": tok.accessor,
            "policies": list(tok.policies),
            "token_policies": list(tok.policies),
            "metadata": tok.meta,
            "lease_duration": tok.ttl_left(clock.now()) if tok.expire_at else 0,
            "renewable": tok.renewable,
            "entity_id": tok.entity_id,
            "token_type": "service",
            "orphan": tok.orphan,
            "mfa_requirement": None,
            "num_uses": tok.num_uses,
        }

    def token_lookup_data(self, tok, show_id=True):
        # Vault vault/token_store.go handleLookup: "period" only when non-zero;
        # "renewable", "issue_time" and "last_renewal(_time)" come from the token's
        # lease, and a token without a TTL (the root token) has no lease at all.
        now = clock.now()
        d = {
            "accessor": tok.accessor,
            "creation_time": int(tok.creation_time),
            "creation_ttl": tok.ttl,
            "display_name": tok.display_name,
            "entity_id": tok.entity_id,
            "expire_time": None,
            "explicit_max_ttl": tok.explicit_max_ttl,
            "id": tok.id if show_id else "",
            "meta": tok.meta,
            "num_uses": tok.num_uses,
            "orphan": tok.orphan,
            "path": tok.path,
            "policies": list(tok.policies),
            "ttl": 0,
            "type": "service",
        }
        if tok.period:
            d["period"] = tok.period
        ns = getattr(tok, "ns", "")
        if ns:
            d["namespace_path"] = ns
        if tok.expire_at is not None:
            d["expire_time"] = rfc3339(int(tok.expire_at * 1e9))
            d["ttl"] = tok.ttl_left(now)
            d["renewable"] = tok.renewable
            d["issue_time"] = rfc3339(int(tok.creation_time * 1e9))
            last = getattr(tok, "last_renewal", None)
            if last:
                d["last_renewal_time"] = int(last)
                d["last_renewal"] = rfc3339(int(last * 1e9))
        return d

    def lookup_token(self, tok_id):
        tok = self.tokens.get(tok_id)
        if tok is None:
            return None
        if tok.expired(clock.now()):
            self._revoke(tok.id)
            return None
        return tok

    def authenticate(self, r):
        if not r.token:
            raise APIError(403, ERR_NO_TOKEN)
        tok = self.lookup_token(r.token)
        if tok is None:
            if r.token in self.wraps:
                raise APIError(403, ERR_DENIED)
            raise APIError(403, self.edition.invalid_token_errors)
        return tok

    def use_token(self, tok):
        if tok.num_uses > 0:
            tok.num_uses -= 1
            if tok.num_uses == 0:
                # the current request still completes; the token is gone afterwards
                self._revoke(tok.id, children=False)

    def expire_tokens(self):
        now = clock.now()
        for t in [t for t in self.tokens.values() if t.expired(now)]:
            self._revoke(t.id)
        leases.expire(self.leases, now)

    def _ttl_arg(self, body, name="ttl"):
        return parse_duration(body.get(name), name) or 0

    def token_backend(self, r, tok, rest):
        b = r.body
        action = rest.rstrip("/") if r.op != "list" else rest
        if action in ("create", "create-orphan"):
            if r.op != "update":
                raise APIError(405, ERR_UNSUPPORTED_OP)
            return self.token_create(r, tok, orphan=action == "create-orphan")
        if action == "lookup-self":
            if r.op not in ("read", "update"):
                raise APIError(405, ERR_UNSUPPORTED_OP)
            return ok(self.token_lookup_data(tok), mount_type="token")
        if action == "lookup":
            if not b.get("token"):
                raise bad_request("missing token ID")
            t = self.lookup_token(b.get("token") or "")
            if t is None:
                # token_store.go handleLookup: ErrorResponse("bad token"), ErrPermissionDenied
                raise APIError(403, ["bad token"])
            return ok(self.token_lookup_data(t), mount_type="token")
        if action == "lookup-accessor":
            tid = self.accessors.get(b.get("accessor") or "")
            t = self.lookup_token(tid) if tid else None
            if t is None:
                raise bad_request("invalid accessor")
            return ok(self.token_lookup_data(t, show_id=False), mount_type="token")
        if action in ("renew-self", "renew", "renew-accessor"):
            if r.op != "update":
                raise APIError(405, ERR_UNSUPPORTED_OP)
            target = tok
            if action == "renew":
                if not b.get("token"):
                    raise bad_request("missing token ID")
                target = self.lookup_token(b.get("token") or "")
                if target is None:
                    # token_store.go handleRenew: ErrorResponse("token not found"), 400
                    raise bad_request("token not found")
            elif action == "renew-accessor":
                tid = self.accessors.get(b.get("accessor") or "")
                target = self.lookup_token(tid) if tid else None
            if target is None:
                raise bad_request("invalid token")
            return self.token_renew(target, b.get("increment"))
        if action in ("revoke-self", "revoke", "revoke-accessor", "revoke-orphan"):
            if r.op != "update":
                raise APIError(405, ERR_UNSUPPORTED_OP)
            if action == "revoke-self":
                self._revoke(tok.id)
            elif action in ("revoke", "revoke-orphan"):
                tid = b.get("token") or ""
                self._revoke(tid, children=action == "revoke")
            else:
                tid = self.accessors.get(b.get("accessor") or "")
                if tid:
                    self._revoke(tid)
            return no_content()
        if rest == "accessors/" and r.op == "list":
            keys = sorted(self.accessors.keys())
            return ok({"keys": keys}, mount_type="token")
        raise APIError(404, ERR_UNSUPPORTED_PATH)

    def token_create(self, r, parent, orphan=False):
        b = r.body
        parent_root = "root" in parent.policies
        req_pols = str_list(b.get("policies")) if b.get("policies") is not None else None
        no_default = to_bool(b.get("no_default_policy"), "no_default_policy")
        if req_pols is None:
            pols = list(parent.policies)
        else:
            pols = [p.lower() for p in req_pols]
            if not parent_root:
                extra = set(pols) - set(parent.policies) - {"default"}
                if extra:
                    raise bad_request("child policies must be subset of parent's policies")
        if "root" in pols and not parent_root:
            raise bad_request("root tokens may not be created by a non-root token")
        explicit_default = req_pols is not None and "default" in [p.lower() for p in req_pols]
        pols = sanitize_policies(pols, add_default=not no_default)
        if no_default and "default" in pols and not explicit_default:
            pols.remove("default")
        ttl = self._ttl_arg(b)
        explicit_max = self._ttl_arg(b, "explicit_max_ttl")
        period = self._ttl_arg(b, "period")
        warns = []
        if period or ttl or "root" not in pols:
            # token_store.go handleCreateCommon: CalculateTTL(0, ttl, period, 0, explicit max)
            ttl, warns = self.calc_ttl(backend_ttl=ttl, period=period, explicit_max=explicit_max)
        if not parent_root and parent.expire_at is not None:
            left = parent.ttl_left(clock.now())
            if ttl == 0 or ttl > left:
                ttl = max(1, left)
        num_uses = to_int(b.get("num_uses"), "num_uses")
        if num_uses < 0:
            raise bad_request("number of uses cannot be negative")
        tid = b.get("id")
        if tid:
            if not parent_root:
                raise bad_request("root or sudo privileges required to specify token id")
            if not isinstance(tid, str):
                raise bad_request("token id must be a string")
            if tid in self.tokens or tid in self.wraps:
                raise bad_request("cannot create a token with a duplicate ID")
        meta = b.get("meta")
        if meta is not None and not isinstance(meta, dict):
            raise bad_request("meta must be a map of strings")
        no_parent = to_bool(b.get("no_parent"), "no_parent")
        orphan = orphan or no_parent
        dn = b.get("display_name")
        display = "token" + ("-" + str(dn) if dn else "")
        new = self.issue_token(pols, ttl, renewable=to_bool(b.get("renewable"), "renewable", True),
                               num_uses=num_uses, meta=meta or None, display_name=display,
                               path="auth/token/create" + ("-orphan" if orphan and not no_parent
                                                           else ""),
                               parent=None if orphan else parent.id, orphan=orphan,
                               explicit_max_ttl=explicit_max, period=period,
                               token_id=tid or None)
        return ok(None, auth=self.auth_block(new), warnings=warns or None, mount_type="token")

    def calc_ttl(self, **kw):
        """sdk/framework/lease.go CalculateTTL against the system's default and max TTLs."""
        return ttlcalc.calculate(clock.now(), self.default_lease_ttl, self.max_lease_ttl, **kw)

    def token_renew(self, tok, increment):
        now = clock.now()
        if tok.expire_at is None:
            # expiration.go RenewToken: a token without a TTL has no lease entry
            # (le == nil): ErrorResponse("invalid lease ID"), ErrInvalidRequest
            raise bad_request("invalid lease ID")
        if not tok.renewable:
            raise bad_request("lease is not renewable")
        inc = parse_duration(increment, "increment") or 0
        if tok.role_ref is not None:
            # approle (and userpass, jwt) pathLoginRenew: the role's token_ttl,
            # token_max_ttl and token_period, read again now
            role = tok.role_ref
            kw = dict(backend_ttl=role.get("token_ttl", 0), period=role.get("token_period", 0),
                      backend_max=role.get("token_max_ttl", 0))
        else:
            # token_store.go authRenew: the lease's TTL, the token's period
            kw = dict(backend_ttl=tok.lease_ttl, period=tok.period)
        try:
            # expiration.go RenewToken: CalculateTTL(increment, ..., explicit max, issue time)
            ttl, warnings = self.calc_ttl(increment=inc, explicit_max=tok.explicit_max_ttl,
                                          start=tok.creation_time, **kw)
        except ttlcalc.PastMax as e:
            raise APIError(500, [str(e)])
        tok.expire_at = now + ttl
        tok.last_renewal = now
        tok.lease_ttl = ttl
        block = self.auth_block(tok)
        block["lease_duration"] = ttl
        return ok(None, auth=block, warnings=warnings or None, mount_type="token")
