"""One Redis client per process for the platform's own keys (not the Celery broker's)."""

from __future__ import annotations

import redis


def make_redis(url: str) -> redis.Redis[bytes]:
    return redis.Redis.from_url(
        url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
    )
