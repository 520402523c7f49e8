"""The per-queue counters the workers keep for the autoscaler (docs/redis-keys.md)."""

from __future__ import annotations

import redis
import structlog

from jobplatform.infrastructure.redis.worker_keys import queue_stats_key

log = structlog.get_logger("jobplatform.worker")


class RedisQueueStats:
    def __init__(self, client: redis.Redis[bytes]):
        self._client = client

    def increment(self, queue: str, field: str) -> None:
        """Add one to ``field`` (succeeded, retried, dead, rejected) of ``queue``'s counters.

        The counters feed the autoscaler; losing one increment must not fail the job."""
        try:
            self._client.hincrby(queue_stats_key(queue), field, 1)
        except redis.RedisError as exc:
            log.warning("queue_stats_failed", queue=queue, error_class=type(exc).__name__)
