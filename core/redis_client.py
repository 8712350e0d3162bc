"""The one way the service's own code talks to Redis directly (the cache and Celery have their
own clients)."""

from functools import cache

import redis
from django.conf import settings


def redis_client() -> redis.Redis:
    """A client of `REDIS_URL`, sharing one connection pool per process and URL (redis-py makes
    a fresh pool in a forked child). Short timeouts: a caller that cannot reach Redis hears so
    in two seconds."""
    return _client(settings.REDIS_URL)


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
