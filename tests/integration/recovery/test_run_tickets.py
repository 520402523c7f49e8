"""Runs started from their tickets, on real workers: nothing written before the outcome, long
runs marked and leased by the lease keeper, a worker killed before the mark loses nothing.

No timing window decides what is seen. `jobs` is locked against writes (reads pass) while the
runs start: a run that read and claimed its job the old way would wait on the lock and never
emit its effect, so an effect seen under the lock is a run that wrote nothing to its job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest

from devstack.processes import PlatformProcess, start_relay
from devstack.wait import wait_for
from support.jobs import submit
from support.tenants import TenantFixture

from .conftest import Stack
from .job_state import job_rows, queue_messages, table_locked

pytestmark = pytest.mark.integration

# As many as the worker runs at once: none waits in the queue with its ticket when the
# worker is killed (the reconciler below re-publishes after its own, shorter, bound).
JOBS = 2


@contextmanager
def relay_held(stack: Stack) -> Iterator[Callable[[], None]]:
    """No relay and no reconciler until the caller starts the relay with the function given:
    jobs submitted meanwhile wait in the outbox. That relay gives tickets good for a minute
    after dispatch (the stack's reconciler bound gives 2.5 s, shorter than a worker's start)."""
    stack.procs["reconciler"].stop()
    stack.procs["relay"].stop()
    started: list[PlatformProcess] = []

    def start() -> None:
        started.append(start_relay(stack.env, JOBPLATFORM_RECONCILER_QUEUED_AFTER_SECONDS="120"))

    try:
        yield start
    finally:
        for relay in started:
            relay.stop()
        stack.start("relay")
        stack.start("reconciler")


def _lease_owners(stack: Stack, job_ids: list[str]) -> set[object]:
    return {
        r[0] for r in stack.sql("SELECT lease_owner FROM jobs WHERE id::text = ANY(%s)", job_ids)
    }


def test_a_long_run_from_its_ticket_writes_nothing_then_is_marked_and_leased(
    stack: Stack, stack_api: httpx.Client, stack_tenant: TenantFixture
) -> None:
    api, tenant, db = stack_api, stack_tenant, stack.env.database_url
    payload = {"sleep_seconds": 8, "emit_event": True}
    with relay_held(stack) as start_relay_now:
        job_ids = [submit(api, tenant, "diagnostic", payload).json()["job_id"] for _ in range(2)]
        with table_locked(db, "jobs", "SHARE"):
            start_relay_now()
            wait_for(
                lambda: all(stack.effects(tenant)[j] == 1 for j in job_ids),
                timeout=30,
                interval=0.2,
                what="both runs started without writing to their jobs",
            )
            assert all(r[:2] == ("queued", 0) for r in job_rows(stack, job_ids).values())
        # The lease keeper marks them while they still sleep.
        wait_for(
            lambda: (
                all(r[:2] == ("running", 1) for r in job_rows(stack, job_ids).values())
                and None not in _lease_owners(stack, job_ids)
            ),
            timeout=6,
            interval=0.2,
            what="both runs marked running under the worker's lease",
        )
        wait_for(
            lambda: all(r[0] == "succeeded" for r in job_rows(stack, job_ids).values()),
            timeout=30,
            interval=0.2,
            what="both runs succeeded",
        )
    for job_id, (status, attempts, redispatches) in job_rows(stack, job_ids).items():
        assert (status, attempts, redispatches) == ("succeeded", 1, 0)
        assert stack.sql(
            "SELECT attempt, outcome FROM job_attempts WHERE job_id::text = %s", job_id
        ) == [(1, "succeeded")]
    assert all(stack.effects(tenant)[j] == 1 for j in job_ids)


def test_a_worker_killed_before_the_mark_loses_no_job_and_repeats_no_effect(
    stack: Stack, stack_api: httpx.Client, stack_tenant: TenantFixture
) -> None:
    api, tenant, db = stack_api, stack_tenant, stack.env.database_url
    payload = {"sleep_seconds": 30, "emit_event": True}
    killed = False
    try:
        with relay_held(stack) as start_relay_now:
            job_ids = [
                submit(api, tenant, "diagnostic", payload).json()["job_id"] for _ in range(JOBS)
            ]
            with table_locked(db, "jobs", "SHARE"):
                start_relay_now()
                wait_for(
                    lambda: all(stack.effects(tenant)[j] == 1 for j in job_ids),
                    timeout=30,
                    interval=0.2,
                    what="every run started from its ticket",
                )
                # Killed while the lock still keeps the lease keeper from marking them.
                stack.procs["heavy"].kill()
                killed = True
                assert all(r[:2] == ("queued", 0) for r in job_rows(stack, job_ids).values())
            # Their messages stay unacknowledged in kombu's set (restored only after the
            # visibility timeout, an hour): the reconciler's queued bound brings the jobs back.
            assert queue_messages(stack.broker.url, "heavy") == (0, JOBS)
        stack.start("heavy")
        wait_for(
            lambda: all(r[0] == "succeeded" for r in job_rows(stack, job_ids).values()),
            timeout=150,
            interval=0.5,
            what="every job published again by the reconciler and succeeded",
        )
    finally:
        if not killed:
            stack.procs["heavy"].stop()
        if not stack.procs["heavy"].alive():
            stack.start("heavy")
    effects = stack.effects(tenant)
    for job_id, (status, attempts, redispatches) in job_rows(stack, job_ids).items():
        # The lost runs counted no attempt; each job ran to its end once afterwards, its
        # effect (emitted by the lost run) not repeated.
        assert (status, attempts) == ("succeeded", 1), (job_id, status, attempts)
        assert redispatches >= 1
        assert effects[job_id] == 1, (job_id, effects)
