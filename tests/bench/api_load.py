"""Load for the API benchmark: N requests from one process at a fixed concurrency, against raw
``apply_async`` from one process.

The HTTP side is one event loop holding one keep-alive connection per concurrent client, each
sending a request, reading its whole answer and checking it (a 202 whose JSON body parses)
before sending the next. It speaks plain HTTP/1.1 on the socket: both sides share two cores,
and a general-purpose client (httpx in a thread per client spent about 2.5 ms of CPU per
request, as much as the server) would measure itself as much as the API.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


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
    url = urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {api_key}\r\n"
        "Content-Type: application/json\r\nContent-Length: "
    ).encode()
    latencies: list[float] = []

    async def client(indexes: Iterator[int], record: bool) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for i in indexes:
                data = json.dumps(body(i)).encode()
                t0 = time.perf_counter()
                writer.write(b"%s%d\r\n\r\n%s" % (head, len(data), data))
                status, answer = await _response(reader)
                elapsed = time.perf_counter() - t0
                if status != 202:
                    raise RuntimeError(f"{path}: {status}: {answer[:500]!r}")
                json.loads(answer)
                if record:
                    latencies.append(elapsed * 1000)
        finally:
            writer.close()

    async def load(n: int, record: bool) -> float:
        indexes = iter(range(n))  # shared: each client takes the next request number
        started = time.perf_counter()
        await asyncio.gather(*(client(indexes, record) for _ in range(concurrency)))
        return time.perf_counter() - started

    asyncio.run(load(min(concurrency * 2, requests), record=False))  # warm-up
    total = asyncio.run(load(requests, record=True))
    return LoadResult(requests * jobs_per_request / total, latencies)


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Status and body of one answer (the API always sends Content-Length, never chunks)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


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
