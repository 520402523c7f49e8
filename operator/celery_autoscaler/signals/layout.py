"""Where kombu and the platform keep things in Redis, for one WorkerPool's transport settings.

kombu prefixes every key with `global_keyprefix` but keeps queue names unprefixed inside the
`unacked` values; the platform's own keys (heartbeats, counters) are never prefixed.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobplatform.infrastructure.redis.worker_keys import (
    WORKERS,
    fresh_arrivals_key,
    queue_stats_key,
    worker_key,
)

SEP = "\x06\x16"

__all__ = ["SEP", "WORKERS", "WORKER_KEY_PREFIX", "Layout", "fresh_arrivals_key", "queue_stats_key"]

# The platform's per-queue keys (docs/redis-keys.md):
# - queue_stats_key(q): hash of running counters succeeded, retried, dead, rejected (workers);
# - fresh_arrivals_key(q): hash of Redis-clock second -> jobs the outbox relay published ready
#   to run in that second (new jobs only: worker retries never pass the relay). Absent when
#   nothing publishes through the relay: then the fresh-arrival signal is unknown.

# The heartbeat hash of host h is WORKER_KEY_PREFIX + h (the Lua script appends the host).
WORKER_KEY_PREFIX = worker_key("x")[:-1]


@dataclass(frozen=True, slots=True)
class Layout:
    queues: tuple[str, ...]
    priority_steps: tuple[int, ...] = (0, 3, 6, 9)
    key_prefix: str = ""

    def priority_keys(self, queue: str) -> list[str]:
        name = self.key_prefix + queue
        return [name if step == 0 else f"{name}{SEP}{step}" for step in self.priority_steps]

    def binding_key(self, queue: str) -> str:
        # Celery declares a direct exchange named after the queue; kombu records the binding.
        return f"{self.key_prefix}_kombu.binding.{queue}"

    @property
    def unacked(self) -> str:
        return f"{self.key_prefix}unacked"
