"""How both sides of the throughput benchmark learn that their jobs are done: the same cheap
Redis read, one persistent connection, polled at the same interval.

Both workers run with ``acks_late``: a message leaves kombu's ``unacked`` hash only after its
task returned. So "queue empty and nothing unacked" means every task returned on either side,
and neither side pays for a database probe while it drains. The platform's worker writes
succeeded outcomes a fraction of a second behind its runs, so after the drain its Postgres state is
read until every job is recorded (succeeded, on its first attempt): the platform's time ends
then, not at the drain.
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


def wait_recorded(
    database_url: str, tenant_id: str, expected: int, timeout: float = 60
) -> tuple[float, PlatformState]:
    """After the drain: read the tenant's state until ``expected`` jobs succeeded (or the
    timeout); returns the perf_counter then and the last state read."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(database_url) as conn:
        conn.execute("SELECT set_config('jobplatform.scope', 'system', false)")
        while True:
            state = _state(conn, tenant_id)
            if state.succeeded >= expected or time.monotonic() > deadline:
                return time.perf_counter(), state
            time.sleep(POLL_SECONDS)


def platform_state(database_url: str, tenant_id: str) -> PlatformState:
    """One query: the tenant's jobs, how many succeeded, how many in one try."""
    with psycopg.connect(database_url) as conn:
        conn.execute("SELECT set_config('jobplatform.scope', 'system', false)")
        return _state(conn, tenant_id)


def _state(conn: psycopg.Connection, tenant_id: str) -> PlatformState:
    row = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE status = 'succeeded'),"
        " count(*) FILTER (WHERE attempts = 1) FROM jobs WHERE tenant_id = %s",
        (tenant_id,),
    ).fetchone()
    assert row is not None
    return PlatformState(jobs=row[0], succeeded=row[1], first_attempt=row[2])
