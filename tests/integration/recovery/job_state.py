"""What the fault tests read of a job's state: its row in Postgres, its queue's messages."""

from __future__ import annotations

from typing import cast

import redis

from jobplatform.infrastructure.redis.queue_depth import UNACKED, priority_keys

from .conftest import Stack


def queue_messages(broker_url: str, queue: str) -> tuple[int, int]:
    """Messages of ``queue`` ready in the broker, and kombu's unacknowledged ones."""
    client = redis.Redis.from_url(broker_url)
    try:
        ready = sum(int(client.llen(key)) for key in priority_keys(queue))
        return ready, int(client.hlen(UNACKED))
    finally:
        client.close()


def job_rows(stack: Stack, job_ids: list[str]) -> dict[str, tuple[str, int, int]]:
    """Each job's status, attempts and redispatches."""
    rows = stack.sql(
        "SELECT id::text, status, attempts, redispatches FROM jobs WHERE id::text = ANY(%s)",
        job_ids,
    )
    return {str(r[0]): (str(r[1]), cast(int, r[2]), cast(int, r[3])) for r in rows}
