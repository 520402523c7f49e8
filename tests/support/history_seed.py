"""Finished jobs in bulk, as the platform's own path leaves them: the job row (succeeded on its
first attempt), its outbox message (published) and its attempt record. One INSERT ... SELECT
per chunk, in the system scope, so a million rows take a minute rather than hours of submits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

import psycopg

# Job ids come from the statement; created_at steps back one second per job from
# ``newest``, so each tenant's history spans days, finished a second after it was created.
SEED_CHUNK = """
WITH made AS (
  INSERT INTO jobs (id, tenant_id, type, queue, payload, status, attempts,
                    attempts_before_series, request_id, created_at, updated_at, started_at,
                    finished_at, dispatched_at, redispatches)
  SELECT gen_random_uuid(), %(tenant)s, 'noop', 'default',
         '{}'::jsonb, %(status)s, 1, 0, 'seed-' || g,
         %(newest)s - g * interval '1 second',
         %(newest)s - g * interval '1 second' + interval '1 second',
         %(newest)s - g * interval '1 second' + interval '100 milliseconds',
         %(newest)s - g * interval '1 second' + interval '1 second',
         %(newest)s - g * interval '1 second', 0
    FROM generate_series(%(first)s::int, %(last)s::int) AS g
  RETURNING id, tenant_id, request_id, created_at, started_at, finished_at
), messages AS (
  INSERT INTO outbox (job_id, tenant_id, job_type, queue, request_id, created_at, published_at)
  SELECT id, tenant_id, 'noop', 'default', request_id, created_at,
         created_at + interval '10 milliseconds'
    FROM made
)
INSERT INTO job_attempts (job_id, attempt, tenant_id, started_at, finished_at, outcome)
SELECT id, 1, tenant_id, started_at, finished_at, %(outcome)s FROM made
"""


def add_tenants(conn: psycopg.Connection, count: int, prefix: str) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(count)]
    with conn.transaction():
        conn.execute("SELECT set_config('jobplatform.scope', 'system', true)")
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO tenants (id, name, created_at) VALUES (%s, %s, now())",
                [(t, f"{prefix}-{t.hex[:12]}") for t in ids],
            )
    return ids


def seed_finished_jobs(
    conn: psycopg.Connection,
    tenants: Sequence[uuid.UUID],
    per_tenant: int,
    newest: datetime,
    *,
    status: str = "succeeded",
    chunk: int = 10_000,
) -> int:
    """``per_tenant`` finished jobs for each tenant, the newest created at ``newest``, one
    second apart going back; committed per chunk. Returns how many jobs were written."""
    outcome = "succeeded" if status == "succeeded" else "dead"
    written = 0
    for tenant in tenants:
        for first in range(0, per_tenant, chunk):
            last = min(per_tenant, first + chunk) - 1
            with conn.transaction():
                conn.execute("SELECT set_config('jobplatform.scope', 'system', true)")
                conn.execute(
                    SEED_CHUNK,
                    {"tenant": tenant, "status": status, "outcome": outcome, "newest": newest,
                     "first": first, "last": last},
                )  # fmt: skip
            written += last - first + 1
    return written


def days_ago(now: datetime, days: float) -> datetime:
    return now - timedelta(days=days)
