"""What one probe poll costs as `unacked` grows: the Lua summary against shipping every entry.

Up to UNACKED_EXACT_LIMIT entries the probe counts exactly; above it, from a sample, so its
cost stops growing with the hash. Entries are shaped as kombu writes them
(`[payload, exchange, routing_key]`, base64 body of about 600 bytes); one in five carries an
ETA, one in ten is a retry.
"""

from __future__ import annotations

import json
import statistics
import time

import redis

from celery_autoscaler.signals.layout import Layout
from celery_autoscaler.signals.probe import RedisProbe
from devstack.local_servers import RedisServer


def fill(client: redis.Redis, n: int) -> None:
    client.delete("unacked")
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        headers = {
            "lang": "py",
            "task": "t",
            "id": f"{i:08d}",
            "retries": 1 if i % 10 == 0 else 0,
            "eta": "2099-01-01T00:00:00+00:00" if i % 5 == 0 else None,
        }
        payload = {"body": "A" * 600, "headers": headers, "properties": {"priority": 0}}
        pipe.hset("unacked", f"tag-{i}", json.dumps([payload, "", "default"]))
        if i % 1000 == 999:
            pipe.execute()
    pipe.execute()


def full_parse(client: redis.Redis) -> int:
    """What a probe without the script would do: HVALS, then JSON per entry in Python."""
    return sum(1 for raw in client.hvals("unacked") if json.loads(raw)[2] == "default")


def median_ms(fn: object, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(sizes: tuple[int, ...] = (1_000, 2_000, 20_000, 50_000)) -> list[dict[str, float]]:
    server = RedisServer().start()
    try:
        client = redis.Redis.from_url(server.url)
        probe = RedisProbe(client, Layout(queues=("default",)))
        rows = []
        for n in sizes:
            fill(client, n)
            rows.append(
                {
                    "entries": n,
                    "probe_ms": median_ms(probe.poll),
                    "hvals_parse_ms": median_ms(lambda: full_parse(client)),
                    "unacked_mb": client.memory_usage("unacked") / 1e6,  # type: ignore[operator]
                }
            )
        client.close()
        return rows
    finally:
        server.close()
