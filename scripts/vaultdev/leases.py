"""Secret leases as Vault's expiration manager keeps them (vault/expiration.go).

A lease is a dict in Vault.leases, keyed by lease ID:
  issued, expire_at, last_renewal (epoch seconds on the server clock, None before
  the first renewal), ttl (the TTL granted last), renewable, token (the token that
  read the secret), mount ("database/") and role.

What this mimics:
- Vault revokes a lease when its expire time passes (the pending timer), so an
  expired lease is simply gone: renew says "lease not found" (leaseEntry.renewable
  with le == nil) and lookup "invalid lease" (logical_system.go handleLeaseLookup).
- Renew: the database backend computes CalculateTTL itself first (secret_creds.go
  secretCredsRenew; an error is wrapped by expiration.go renewEntry as "failed to
  renew entry: ..."), then expiration.go Renew runs CalculateTTL(increment,
  role default_ttl, 0, role max_ttl, 0, issue time) and adds its warnings; the new
  expire time is now + TTL and last_renewal is now.
- Lookup: id, issue_time, expire_time, last_renewal (null before a renewal), ttl
  (leaseEntry.ttl: expire time minus now rounded to the second, truncated) and
  renewable (leaseEntry.renewable's verdict).
- LIST sys/leases/lookup/<prefix>: handleLeaseLookupList puts a "/" after the prefix
  and lists one level of the lease view (sub-folders end in "/").
- revoke-prefix: expiration.go revokePrefixCommon: a prefix without a trailing "/"
  that is itself a lease ID revokes that lease; otherwise everything under prefix/.
"""

from . import ttl as ttlcalc
from .common import Refuse


def expire(leases, now):
    """Drop every lease whose expire time has passed (Vault's expiry timer)."""
    for lid in [k for k, v in leases.items() if now >= v["expire_at"]]:
        del leases[lid]


def issue(leases, lease_id, now, default_ttl, max_ttl, sys_default, sys_max, token_id,
          mount, role):
    """Register a lease as request_handling.go does for a secret: (ttl, warnings)."""
    ttl, warnings = ttlcalc.calculate(now, sys_default, sys_max, backend_ttl=default_ttl,
                                      backend_max=max_ttl)
    leases[lease_id] = {"issued": now, "expire_at": now + ttl, "ttl": ttl,
                        "renewable": True, "last_renewal": None, "token": token_id,
                        "mount": mount, "role": role}
    return ttl, warnings


def renew(lease, now, increment, default_ttl, max_ttl, sys_default, sys_max):
    """Renew a live lease in place: (ttl, warnings); Refuse(400) as Vault words it."""
    if lease is None:
        raise Refuse(400, ["lease not found"])
    if not lease["renewable"]:
        raise Refuse(400, ["lease is not renewable"])
    try:
        # secret_creds.go runs this same CalculateTTL before the core does; its error
        # comes back wrapped by expiration.go renewEntry
        ttl, warnings = ttlcalc.calculate(now, sys_default, sys_max, increment=increment,
                                          backend_ttl=default_ttl, backend_max=max_ttl,
                                          start=lease["issued"])
    except ttlcalc.PastMax as e:
        raise Refuse(400, ["failed to renew entry: resp: (*logical.Response)(nil) err: %s"
                           % e])
    lease["ttl"] = ttl
    lease["expire_at"] = now + ttl
    lease["last_renewal"] = now
    return ttl, warnings


def lookup(lease_id, lease, now, rfc3339):
    """The data of sys/leases/lookup for a live lease; Refuse(400) "invalid lease"."""
    if lease is None:
        raise Refuse(400, ["invalid lease"])
    return {"id": lease_id,
            "issue_time": rfc3339(int(lease["issued"] * 1e9)),
            "expire_time": rfc3339(int(lease["expire_at"] * 1e9)),
            "last_renewal": (rfc3339(int(lease["last_renewal"] * 1e9))
                             if lease["last_renewal"] else None),
            "renewable": lease["renewable"] and now < lease["expire_at"],
            "ttl": int(lease["expire_at"] - round(now))}


def list_keys(leases, prefix):
    """One level of lease IDs under prefix (a "/" is added as Vault does)."""
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    keys = set()
    for lid in leases:
        if lid.startswith(prefix):
            rest = lid[len(prefix):]
            keys.add(rest.split("/", 1)[0] + "/" if "/" in rest else rest)
    return sorted(keys)


def revoke_prefix(leases, prefix):
    """Revoke a lease ID or everything under prefix/; returns how many went."""
    if not prefix.endswith("/"):
        if prefix in leases:
            del leases[prefix]
            return 1
        prefix += "/"
    gone = [k for k in leases if k.startswith(prefix)]
    for k in gone:
        del leases[k]
    return len(gone)
