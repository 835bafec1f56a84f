"""The dev server's clock: wall time plus an offset that tests move forward.

Everything Vault decides by the clock (token, lease, wrapping-token and secret-ID
expiry, KV v2 created/deletion times, sys/health's server_time_utc) reads it here,
so `POST /_control/clock {"advance_s": N}` lets a test jump over a TTL instead of
sleeping through it.  The offset only grows: Vault's own clock does not go back,
and an expiry that already happened stays happened.  The HTTP Date header and the
request log keep real time (they describe the connection, not Vault's state).
"""

import threading
import time as _time

_lock = threading.Lock()
_offset_ns = 0


def now():
    """Seconds since the epoch, as a float, on the server's clock."""
    return (_time.time_ns() + _offset_ns) / 1e9


def now_ns():
    """Nanoseconds since the epoch on the server's clock."""
    return _time.time_ns() + _offset_ns


def offset():
    """Seconds the clock has been moved forward so far."""
    return _offset_ns / 1e9


def advance(seconds):
    """Move the clock forward by seconds (int or float >= 0); returns the new offset."""
    global _offset_ns
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0 \
            or seconds != seconds or seconds > 10 * 365 * 86400:
        raise ValueError("advance_s must be a number of seconds, 0 to 10 years")
    with _lock:
        _offset_ns += int(round(seconds * 1e9))
        return _offset_ns / 1e9
