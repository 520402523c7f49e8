"""How both sides of the throughput benchmark learn that their jobs are done: the same cheap
Redis read, one persistent connection, polled at the same interval.

Both workers run with ``acks_late``: a message leaves kombu's ``unacked`` hash only after its
task returned, and the platform's task returns after the outcome is committed to Postgres. So
"queue empty and nothing unacked" means every job finished on either side, and neither side
pays for a database probe while it drains. The platform's Postgres state is read once, after
the drain, to check the jobs really succeeded on their first attempt.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg
import redis

POLL_SECONDS = 0.02


def wait_drained(client: redis.Redis, queue: str, timeout: float = 900) -> float:
    """Block until ``queue`` is empty and no message is unacked; returns the perf_counter then."""
    deadline = time.monotonic() + timeout
    while True:
        pipe = client.pipeline(transaction=False)
        pipe.llen(queue)
        pipe.hlen("unacked")
        waiting, unacked = pipe.execute()
        if waiting == 0 and unacked == 0:
            return time.perf_counter()
        if time.monotonic() > deadline:
            raise TimeoutError(f"{queue}: {waiting} waiting, {unacked} unacked after {timeout}s")
        time.sleep(POLL_SECONDS)


@dataclass(frozen=True)
class PlatformState:
    jobs: int
    succeeded: int
    first_attempt: int

    def check(self, expected: int) -> None:
        if not (self.jobs == self.succeeded == self.first_attempt == expected):
            raise RuntimeError(
                f"platform state after the drain: {self.jobs} jobs, {self.succeeded} succeeded, "
                f"{self.first_attempt} with attempts = 1; expected {expected} of each"
            )


def platform_state(database_url: str, tenant_id: str) -> PlatformState:
    """One query, after the drain: the tenant's jobs, how many succeeded, how many in one try."""
    with psycopg.connect(database_url) as conn:
        conn.execute("SELECT set_config('jobplatform.scope', 'system', false)")
        row = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE status = 'succeeded'),"
            " count(*) FILTER (WHERE attempts = 1) FROM jobs WHERE tenant_id = %s",
            (tenant_id,),
        ).fetchone()
    assert row is not None
    return PlatformState(jobs=row[0], succeeded=row[1], first_attempt=row[2])
