"""Vault's TTL arithmetic for leases and tokens, in whole seconds.

calculate() follows sdk/framework/lease.go CalculateTTL, which Vault runs when a
secret is issued (request_handling.go), when a token is created (token_store.go
handleCreateCommon) or logs in, and when a lease or token is renewed
(expiration.go Renew / RenewToken):

- the effective max is the mount's max lease TTL, lowered by the backend's max
  (a role's max_ttl / token_max_ttl) and by an explicit max;
- a period wins over everything else and only explicit_max_ttl bounds it;
- otherwise the TTL is the increment, else the backend TTL, else the mount's
  default, and it may not reach past start + max (start = the lease's issue time);
- "now" and "start" are truncated to the second, so every figure is whole seconds.
"""

# Vault's built-in system defaults (vault/expiration.go: maxLeaseTTL 32 days, and the
# default lease TTL is the same): 768h.
SYSTEM_MAX_LEASE_TTL = 768 * 3600
SYSTEM_DEFAULT_LEASE_TTL = SYSTEM_MAX_LEASE_TTL


class PastMax(Exception):
    """CalculateTTL's "past the max TTL, cannot renew"."""

    def __init__(self):
        super().__init__("past the max TTL, cannot renew")


def go_duration(secs):
    """Go's time.Duration.String() for whole seconds: 0s, 45s, 5m0s, 1h0m0s."""
    secs = int(secs)
    if secs == 0:
        return "0s"
    sign = "-" if secs < 0 else ""
    secs = abs(secs)
    h, rem = divmod(secs, 3600)
    m, s = divmod(rem, 60)
    if h:
        return "%s%dh%dm%ds" % (sign, h, m, s)
    if m:
        return "%s%dm%ds" % (sign, m, s)
    return "%s%ds" % (sign, s)


def human_duration(secs):
    """lease.go humanDuration: Go's String() without zero minutes/seconds (1h, 1h5s, 5m)."""
    s = go_duration(secs)
    if s == "0s":
        return s
    if s.endswith("m0s"):
        s = s[:-2]
    idx = s.find("h0m")
    if idx > 0:
        s = s[:idx + 1] + s[idx + 3:]
    return s


def calculate(now, sys_default, sys_max, increment=0, backend_ttl=0, period=0,
              backend_max=0, explicit_max=0, start=None):
    """(ttl seconds, warnings) as CalculateTTL; raises PastMax.  now/start: epoch seconds."""
    now = int(now)                       # time.Now().Truncate(time.Second)
    start = now if not start else int(start)
    max_ttl = sys_max
    if 0 < backend_max < max_ttl:
        max_ttl = backend_max
    if 0 < explicit_max < max_ttl:
        max_ttl = explicit_max
    warnings = []
    max_valid = None
    if period > 0:
        if period > max_ttl:
            warnings.append("period of %s exceeded the effective max_ttl of %s; period value "
                            "is capped accordingly" % (_q(human_duration(period)),
                                                       _q(human_duration(max_ttl))))
            period = max_ttl
        ttl = period
        if explicit_max > 0:
            max_valid = start + explicit_max
    else:
        if increment > 0:
            ttl = increment
        elif backend_ttl > 0:
            ttl = backend_ttl
        else:
            ttl = sys_default
        max_valid = start + max_ttl
    if max_valid is not None:
        left = max_valid - now
        if left <= 0:
            raise PastMax()
        if left < ttl:
            warnings.append("TTL of %s exceeded the effective max_ttl of %s; TTL value is "
                            "capped accordingly" % (_q(human_duration(ttl)),
                                                    _q(human_duration(left))))
            ttl = left
    return ttl, warnings


def _q(s):
    # Go's %q of a plain ASCII string
    return '"%s"' % s
