"""A worker killed while the outcomes of its runs are still being written: no job is lost, no
effect is repeated; with run tickets (the run wrote nothing before) and without.

No timing window decides the outcome. The test holds a lock on `job_attempts` that lets a run
start (it only updates `jobs`) but holds up the write-behind statement (it inserts into
`job_attempts`). So every run has ended, emitted its effect and had its message acknowledged
while no outcome is stored; the worker is killed in that state, and the statement it left
waiting on the lock is terminated before the lock goes, so it never lands.
"""

from __future__ import annotations

import os
import signal

import httpx
import psycopg
import pytest

from devstack.processes import start_worker
from devstack.wait import wait_for
from support.jobs import submit
from support.tenants import TenantFixture

from .conftest import Stack
from .job_state import job_rows, queue_messages, table_locked

pytestmark = pytest.mark.integration

JOBS = 5

# Backends of this database held up by a lock (the write-behind's statement, here).
LOCK_WAITERS = """
SELECT pid, query FROM pg_stat_activity
 WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
"""


def lock_waiters(database_url: str) -> list[tuple[int, str]]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        return [(int(pid), str(query)) for pid, query in conn.execute(LOCK_WAITERS).fetchall()]


def terminate(database_url: str, pids: list[int]) -> int:
    """End these backends (their transactions roll back); how many were ended."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM unnest(%s::integer[]) AS pid", (pids,)
        ).fetchall()
    return sum(1 for (done,) in rows if done)


# What a run leaves on its job before its outcome: nothing when it started from its ticket.
BEFORE_OUTCOME = {True: ("queued", 0), False: ("running", 1)}


@pytest.mark.parametrize("tickets", [True, False], ids=["tickets", "no-tickets"])
def test_a_worker_killed_with_outcome_writes_in_flight_loses_no_job_and_repeats_no_effect(
    stack: Stack, stack_api: httpx.Client, stack_tenant: TenantFixture, tickets: bool
) -> None:
    api, tenant, db = stack_api, stack_tenant, stack.env.database_url
    # No re-publish while the old worker lives: its leases (3 s) may run out meanwhile, and a
    # second run on it would blur what the kill leaves behind. The reconciler comes back after.
    stack.procs["reconciler"].stop()
    # One pool process, so one outcome writer: once its statement waits on the lock, nothing
    # else of this worker can write an outcome (the other runs queue up behind it).
    stack.procs["heavy"].stop()
    # Without the key, the worker reads every job first (the relay still signs).
    stack.procs["heavy"] = start_worker(
        stack.env,
        "heavy",
        concurrency=1,
        name=f"heavy-single-{tickets}",
        **({} if tickets else {"JOBPLATFORM_RUN_TICKET_KEY": ""}),
    )
    killed = False
    try:
        with table_locked(db, "job_attempts", "EXCLUSIVE"):
            payload = {"sleep_seconds": 0, "emit_event": True}
            job_ids = [
                submit(api, tenant, "diagnostic", payload).json()["job_id"] for _ in range(JOBS)
            ]

            def ran_acknowledged_unwritten() -> bool:
                effects = stack.effects(tenant)
                rows = job_rows(stack, job_ids)
                return (
                    all(effects[j] == 1 for j in job_ids)
                    and queue_messages(stack.broker.url, "heavy") == (0, 0)
                    and all(rows[j][:2] == BEFORE_OUTCOME[tickets] for j in job_ids)
                    and len(lock_waiters(db)) == 1
                )

            # Written before the acknowledgement, an outcome would hold its message unacked
            # behind the lock and this never comes true.
            wait_for(
                ran_acknowledged_unwritten,
                timeout=60,
                interval=0.2,
                what="every run done and acknowledged, its outcome waiting on the lock",
            )
            [(writer, statement)] = lock_waiters(db)
            assert "job_attempts" in statement
            stack.procs["heavy"].kill()
            killed = True
            # Postgres does not notice the client is gone while the statement waits: ended
            # here, it never lands once the lock is released.
            assert lock_waiters(db) == [(writer, statement)]
            assert terminate(db, [writer]) == 1
            wait_for(lambda: lock_waiters(db) == [], timeout=30, what="the writes terminated")
        rows = job_rows(stack, job_ids)
        assert all(rows[j][:2] == BEFORE_OUTCOME[tickets] for j in job_ids), rows
        stack.start("reconciler")
        stack.start("heavy")
        wait_for(
            lambda: all(r[0] == "succeeded" for r in job_rows(stack, job_ids).values()),
            timeout=90,
            interval=0.2,
            what="every job published again (lease run out, or queued bound) and succeeded",
        )
    finally:
        if not stack.procs["reconciler"].alive():
            stack.start("reconciler")
        if not killed:
            stack.procs["heavy"].stop()
        if not stack.procs["heavy"].alive():
            stack.start("heavy")
    rows = job_rows(stack, job_ids)
    effects = stack.effects(tenant)
    # A run from a ticket counted no attempt before it was lost; a leased run did.
    attempt = 1 if tickets else 2
    for job_id in job_ids:
        status, attempts, redispatches = rows[job_id]
        assert (status, attempts) == ("succeeded", attempt), (job_id, rows[job_id])
        # Only the reconciler publishes the job again: the messages were acknowledged.
        assert redispatches >= 1, (job_id, rows[job_id])
        assert effects[job_id] == 1, (job_id, effects)
        # The killed worker's outcome never landed; the second run's did.
        assert stack.sql(
            "SELECT attempt, outcome FROM job_attempts WHERE job_id::text = %s ORDER BY attempt",
            job_id,
        ) == [(attempt, "succeeded")]


@pytest.mark.parametrize("pool", ["prefork", "solo"])
def test_a_stopping_worker_writes_the_outcomes_it_holds(
    stack: Stack, stack_api: httpx.Client, stack_tenant: TenantFixture, pool: str
) -> None:
    api, tenant = stack_api, stack_tenant
    # No re-publish meanwhile: only the stopping worker can make these jobs succeed.
    stack.procs["reconciler"].stop()
    stack.procs["default"].stop()
    # Outcomes held for a minute (the lease is longer, as it must be): without the write at
    # the stop, the jobs read `running` long after the worker is gone.
    stack.procs["default"] = start_worker(
        stack.env,
        "default",
        concurrency=2,
        name=f"default-{pool}-stopping",
        pool=pool,
        JOBPLATFORM_LEASE_SECONDS="300",
        JOBPLATFORM_OUTCOME_WRITE_DELAY_SECONDS="60",
    )
    try:
        job_ids = [submit(api, tenant, "noop", {}).json()["job_id"] for _ in range(JOBS)]
        wait_for(
            lambda: (
                queue_messages(stack.broker.url, "default") == (0, 0)
                # Run from their tickets: nothing written before the outcome.
                and all(r[:2] == ("queued", 0) for r in job_rows(stack, job_ids).values())
                and len(job_rows(stack, job_ids)) == JOBS
            ),
            timeout=50,
            interval=0.2,
            what="every run done and acknowledged, its outcome held",
        )
        # SIGTERM to the worker's own process, as Kubernetes sends it to a container's first
        # process: Celery's warm shutdown, which closes the pool processes in turn.
        worker = stack.procs["default"].proc
        os.kill(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
        rows = job_rows(stack, job_ids)
        assert all(r[:2] == ("succeeded", 1) for r in rows.values()), rows
    finally:
        stack.procs["default"].stop()
        stack.start("default")
        stack.start("reconciler")
