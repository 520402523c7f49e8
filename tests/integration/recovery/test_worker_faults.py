"""A worker that dies mid-job, and a job delivered twice at once."""

from __future__ import annotations

import time

import httpx
import pytest

from devstack.wait import wait_for
from support.jobs import submit, wait_status
from support.tenants import TenantFixture

from .conftest import Stack

pytestmark = pytest.mark.integration


def test_killed_worker_job_is_taken_over_after_its_lease_not_the_visibility_timeout(
    stack: Stack,
    stack_api: httpx.Client,
    stack_tenant: TenantFixture,
    request: pytest.FixtureRequest,
) -> None:
    api, tenant = stack_api, stack_tenant
    payload = {"sleep_seconds": 4, "emit_event": True}
    job_id = submit(api, tenant, "diagnostic", payload).json()["job_id"]
    assert wait_status(api, tenant, job_id, "running")["attempts"] == 1
    # The job emits its event first, then sleeps 4 s: kill it once the event is out, so the
    # kill lands in the sleep (mid-job) and not between the ledger claim and the event (a
    # worker dying there loses the effect: at most once, by design).
    wait_for(lambda: stack.effects(tenant)[job_id] == 1, timeout=30, what="the job's event")
    killed_at = time.monotonic()
    stack.procs["heavy"].kill()  # SIGKILL to the worker and its pool children, mid-job
    stack.start("heavy")
    # The visibility timeout is an hour; the lease is 3 s and the reconciler passes every
    # half second, so the job can only finish within this wait if its lease ran out and the
    # reconciler published it again.
    job = wait_status(api, tenant, job_id, "succeeded", timeout=90)
    report = (
        f"worker SIGKILL: job finished on another worker {time.monotonic() - killed_at:.1f} s "
        "after the kill (lease 3 s, a 4 s job, visibility timeout 3600 s)"
    )
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(report)
    assert job["attempts"] == 2
    assert stack.effects(tenant)[job_id] == 1
    redispatches = stack.sql("SELECT redispatches FROM jobs WHERE id = %s", job_id)
    assert redispatches[0][0] >= 1


def test_two_deliveries_at_once_make_one_run(
    stack: Stack, stack_api: httpx.Client, stack_tenant: TenantFixture
) -> None:
    api, tenant = stack_api, stack_tenant
    job_id = submit(api, tenant, "diagnostic", {"sleep_seconds": 2, "emit_event": True}).json()[
        "job_id"
    ]
    # A second message for the same job, published by the relay right behind the first: the
    # two pool processes of the heavy worker receive them at the same time.
    stack.sql(
        "INSERT INTO outbox (job_id, tenant_id, job_type, queue, request_id, created_at)"
        " SELECT id, tenant_id, type, queue, request_id, now() FROM jobs WHERE id = %s"
        " RETURNING id",
        job_id,
    )
    job = wait_status(api, tenant, job_id, "succeeded")
    assert job["attempts"] == 1
    assert stack.sql("SELECT count(*) FROM job_attempts WHERE job_id = %s", job_id) == [(1,)]
    assert stack.sql(
        "SELECT count(*) FROM outbox WHERE job_id = %s AND published_at IS NOT NULL", job_id
    ) == [(2,)]
    assert stack.effects(tenant)[job_id] == 1
