"""Queue depth counted the way kombu stores Celery messages on Redis.

A queue ``q`` is one list per priority step (``q``, ``q\\x06\\x163``, ...): ready messages are
the sum of their lengths, not ``LLEN q``. Delivered-but-unacked messages (prefetched, running,
or waiting for an ETA/countdown such as a retry) sit in the ``unacked`` hash, whose values
name their routing key. Everything is read in one pipeline.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import redis

PRIORITY_STEPS = (0, 3, 6, 9)
SEP = "\x06\x16"
UNACKED = "unacked"


def priority_keys(queue: str, steps: Iterable[int] = PRIORITY_STEPS) -> list[str]:
    return [queue if step == 0 else f"{queue}{SEP}{step}" for step in steps]


@dataclass(slots=True)
class QueueDepth:
    ready: int = 0
    reserved: int = 0  # delivered to a worker, not acked, not waiting for an ETA
    scheduled: int = 0  # ETA/countdown in the future (retries among them)
    retrying: int = 0  # of those, messages that are retries
    oldest_ready_age: float | None = None


def _eta_epoch(headers: dict[str, object]) -> float | None:
    eta = headers.get("eta")
    if not isinstance(eta, str):
        return None
    try:
        return datetime.fromisoformat(eta).timestamp()
    except ValueError:
        return None


def _published_at(raw: bytes | None) -> float | None:
    if raw is None:
        return None
    try:
        headers = json.loads(raw).get("headers") or {}
        value = headers.get("published_at")
        return float(value) if value is not None else None
    except (ValueError, TypeError, AttributeError):
        return None


def read_depths(
    client: redis.Redis[bytes], queues: Iterable[str], now: float | None = None
) -> dict[str, QueueDepth]:
    queues = list(queues)
    now = time.time() if now is None else now
    pipe = client.pipeline(transaction=False)
    for q in queues:
        for key in priority_keys(q):
            pipe.llen(key)
            pipe.lindex(key, -1)  # the next message BRPOP takes: the oldest of that list
    pipe.hvals(UNACKED)
    results = pipe.execute()
    depths: dict[str, QueueDepth] = {}
    i = 0
    for q in queues:
        d = depths[q] = QueueDepth()
        for _ in priority_keys(q):
            length, oldest = results[i], results[i + 1]
            i += 2
            d.ready += int(length)
            published = _published_at(oldest)
            if published is not None:
                age = max(0.0, now - published)
                d.oldest_ready_age = max(d.oldest_ready_age or 0.0, age)
    for raw in results[i]:
        try:
            message, _exchange, routing_key = json.loads(raw)
        except (ValueError, TypeError):
            continue
        found = depths.get(routing_key)
        if found is None:
            continue
        d = found
        headers = message.get("headers") or {}
        eta = _eta_epoch(headers)
        if eta is not None and eta > now:
            d.scheduled += 1
            if int(headers.get("retries") or 0) > 0:
                d.retrying += 1
        else:
            d.reserved += 1
    return depths
