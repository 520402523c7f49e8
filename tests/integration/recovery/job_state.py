"""What the fault tests read of a job's state (its row in Postgres, its queue's messages), and
the table locks that hold its writes up."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal, cast

import psycopg
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


@contextmanager
def table_locked(
    database_url: str, table: str, mode: Literal["SHARE", "EXCLUSIVE"]
) -> Iterator[None]:
    """``table`` locked until the block ends. Both modes keep writes out and let reads pass;
    SHARE lets foreign-key checks against the table's rows pass too."""
    with psycopg.connect(database_url) as conn:
        conn.execute(f"LOCK TABLE {table} IN {mode} MODE")
        try:
            yield
        finally:
            conn.rollback()
