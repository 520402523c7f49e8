"""Load for the API benchmark: N requests from one process at a fixed concurrency, each
client thread with its own keep-alive connection, against raw ``apply_async`` from one process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class LoadResult:
    jobs_per_second: float
    latencies_ms: list[float]  # one per request

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 0.50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 0.99)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def http_load(
    base: str,
    api_key: str,
    path: str,
    body: Callable[[int], Any],
    jobs_per_request: int,
    requests: int,
    concurrency: int,
) -> LoadResult:
    """POST ``body(i)`` to ``path`` ``requests`` times; every answer must be a 202."""
    latencies: list[float] = []
    lock = threading.Lock()
    local = threading.local()

    def one(i: int) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {api_key}"}, timeout=60
            )
        t0 = time.perf_counter()
        r = client.post(path, json=body(i))
        elapsed = time.perf_counter() - t0
        if r.status_code != 202:
            raise RuntimeError(f"{path}: {r.status_code}: {r.text[:500]}")
        with lock:
            latencies.append(elapsed * 1000)

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(min(concurrency * 2, requests))))  # connections and warm-up
        latencies.clear()
        started = time.perf_counter()
        list(pool.map(one, range(requests)))
        total = time.perf_counter() - started
    return LoadResult(requests * jobs_per_request / total, latencies)


def apply_async_load(redis_url: str, n: int) -> LoadResult:
    """N ``apply_async`` calls in a loop on one producer: Celery's own cost to accept a job."""
    import bare_celery
    import redis

    bare_celery.app.conf.broker_url = redis_url
    latencies = []
    with bare_celery.app.producer_or_acquire() as producer:
        for _ in range(min(100, n)):
            bare_celery.noop.apply_async(queue="bench-api", producer=producer)
        started = time.perf_counter()
        for _ in range(n):
            t0 = time.perf_counter()
            bare_celery.noop.apply_async(queue="bench-api", producer=producer)
            latencies.append((time.perf_counter() - t0) * 1000)
        total = time.perf_counter() - started
    redis.Redis.from_url(redis_url).delete("bench-api")
    return LoadResult(n / total, latencies)
