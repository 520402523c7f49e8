"""Keys the workers write for the autoscaling operator (documented in docs/redis-keys.md)."""

from jobplatform.domain.keys import platform_key

WORKERS = platform_key("workers")  # sorted set: hostname -> last heartbeat (unix time)


def worker_key(hostname: str) -> str:
    """Hash: queues, concurrency, active, reserved, state (busy/idle), pid, heartbeat_at."""
    return platform_key("worker", hostname)


def queue_stats_key(queue: str) -> str:
    """Hash of running counters: succeeded, retried, dead, rejected."""
    return platform_key("queue", queue, "stats")


def fresh_arrivals_key(queue: str) -> str:
    """Hash of newly published messages per second: field = Redis server time (unix second),
    value = messages the outbox relay published ready to run in that second. Written once per
    relay batch; fields older than FRESH_KEEP_SECONDS are dropped on each write. Retries are
    not in it (they are `retried` in queue_stats_key)."""
    return platform_key("queue", queue, "fresh")
