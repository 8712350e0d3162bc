"""Per-user rate limits kept in Redis, one round trip per request.

DRF's `ScopedRateThrottle` keeps a list of request times in the cache: a read and a write per
request, each through a new client, and two requests at once can both pass the last slot. This
keeps a sliding-window counter instead (the current window's count plus the previous window's,
weighted by how much of it still overlaps the last `duration` seconds), updated atomically in
one round trip (a Lua script). The API's hold checks and the hold-check page share one budget per
user, so a caller cannot double it by switching between them.
"""

import math
import time
from functools import cache

from django.conf import settings
from rest_framework.throttling import ScopedRateThrottle

from .redis_client import redis_client


def _prefix() -> str:
    return settings.CACHES["default"].get("KEY_PREFIX", "")


# Count this request in the current window (kept for two windows) and read the previous
# window's count: one command (EVALSHA) instead of a MULTI ... EXEC of four, atomic alike.
_COUNT = """
local used = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return {used, redis.call('GET', KEYS[2]) or '0'}
"""


@cache
def _count_script(url: str):
    return redis_client().register_script(_COUNT)


def take(key: str, *, limit: int, duration: int) -> float | None:
    """Count one request under `key`. None if it is within `limit` per `duration` seconds;
    otherwise how many seconds to wait (the refused request is not counted)."""
    now = time.time()
    window = int(now // duration)
    key = f"{_prefix()}:{key}:"
    current, previous = key + str(window), key + str(window - 1)
    used, before = _count_script(settings.REDIS_URL)(keys=[current, previous], args=[2 * duration])
    elapsed = now - window * duration
    before = int(before)
    if used + before * (1 - elapsed / duration) <= limit:
        return None
    redis_client().decr(current)
    return max(1.0, math.ceil(_wait(used - 1, before, limit, duration, elapsed)))


def _wait(used: int, before: int, limit: int, duration: int, elapsed: float) -> float:
    """Seconds until one more request fits, when `used` were counted in this window so far,
    `before` in the previous one, and `elapsed` seconds of this window have gone."""
    room = limit - used - 1  # what the previous window's weight must fall to
    if room >= 0 and before > 0:
        # The previous window's weight, before * (1 - t / duration), falls to `room` at t:
        fits_at = duration * (1 - room / before)
        if fits_at < duration:
            return max(0.0, fits_at - elapsed)
    # Not in this window: in the next, this window's count is the one that fades.
    next_in = duration - elapsed
    room = limit - 1
    return next_in + (duration * (1 - room / used) if used > room else 0.0)


class RedisScopedRateThrottle(ScopedRateThrottle):
    """`ScopedRateThrottle`'s scopes, rates and identities, counted by `take`."""

    def allow_request(self, request, view):
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self._wait = take(key, limit=self.num_requests, duration=self.duration)
        return self._wait is None

    def wait(self):
        return self._wait


def take_for_user(scope: str, user) -> float | None:
    """`take` for a signed-in user of a page, in the same budget as their API requests."""
    throttle = RedisScopedRateThrottle()
    throttle.scope = scope  # the rate, read where the API's throttle reads it
    limit, duration = throttle.parse_rate(throttle.get_rate())
    key = throttle.cache_format % {"scope": scope, "ident": user.pk}
    return take(key, limit=limit, duration=duration)
