"""Faults of the servers the platform depends on: no accepted job is lost, none runs its
effect twice, and no platform process has to be restarted by hand."""

from __future__ import annotations

import httpx
import pytest
import redis

from devstack.processes import start_beat
from devstack.wait import wait_for
from support.jobs import submit, wait_status
from support.tenants import TenantFixture

from .conftest import Stack

pytestmark = pytest.mark.integration


def _accept(api: httpx.Client, tenant: TenantFixture, job_type: str, **payload: object) -> str:
    response = submit(api, tenant, job_type, dict(payload))
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"])


def test_flushed_broker_loses_no_queued_retrying_or_running_job(
    stack: Stack, stack_api: httpx.Client, stack_tenant: TenantFixture
) -> None:
    api, tenant = stack_api, stack_tenant
    stack.procs["default"].stop()  # its jobs wait in the broker while Redis is flushed
    retrying = _accept(api, tenant, "diagnostic", fail_times=1, emit_event=True)
    wait_status(api, tenant, retrying, "retrying")
    running = [
        _accept(api, tenant, "diagnostic", sleep_seconds=3, emit_event=True) for _ in range(2)
    ]
    behind = [
        _accept(api, tenant, "diagnostic", sleep_seconds=0.5, emit_event=True) for _ in range(2)
    ]
    queued = [_accept(api, tenant, "noop") for _ in range(5)]
    for job_id in running:
        wait_status(api, tenant, job_id, "running")
    states = {api.get(f"/v1/jobs/{i}", headers=tenant.headers).json()["status"] for i in queued}
    assert states == {"queued"}
    assert api.get(f"/v1/jobs/{retrying}", headers=tenant.headers).json()["status"] in {
        "retrying",
        "running",
    }

    client = redis.Redis.from_url(stack.broker.url)
    try:
        client.flushall()  # every ready, reserved and countdown message is gone
    finally:
        client.close()
    stack.start("default")

    diagnostic = [retrying, *running, *behind]
    for job_id in [*diagnostic, *queued]:
        assert wait_status(api, tenant, job_id, "succeeded", "dead", timeout=120)["status"] == (
            "succeeded"
        )
    effects = stack.effects(tenant)
    assert {job_id: effects[job_id] for job_id in diagnostic} == dict.fromkeys(diagnostic, 1)
    reconciler_log = stack.procs["reconciler"].log_path.read_bytes()
    assert b"broker_data_lost" in reconciler_log


def test_postgres_restart_strands_no_job_and_no_process_exits(
    stack: Stack, stack_api: httpx.Client, stack_tenant: TenantFixture
) -> None:
    api, tenant = stack_api, stack_tenant
    ids = [_accept(api, tenant, "diagnostic", sleep_seconds=1, emit_event=True) for _ in range(8)]
    ids += [_accept(api, tenant, "noop") for _ in range(20)]
    # The heavy worker needs about four seconds for its share: stop Postgres once it is
    # under way, so the outage meets jobs queued, running and finishing.
    wait_status(api, tenant, ids[0], "succeeded")
    stack.postgres.stop()
    # The workers and the relay meet the outage mid-stream; each backs off and logs it.
    wait_for(
        lambda: b"dependency_unavailable" in stack.procs["relay"].log_path.read_bytes(),
        timeout=60,
        what="the relay to notice the outage",
    )
    refused = submit(api, tenant, "noop")
    assert refused.status_code == 503, refused.text
    assert refused.headers["Retry-After"] == "1"
    assert "unavailable" in refused.json()["detail"]
    stack.postgres.start()
    # The web's pooled connections all died with the server: the pool's check replaces them,
    # so the first request after the restart is answered, not refused.
    first = api.get(f"/v1/jobs/{ids[0]}", headers=tenant.headers)
    assert first.status_code == 200, first.text

    for job_id in ids:
        job = wait_status(api, tenant, job_id, "succeeded", "dead", timeout=120)
        assert job["status"] == "succeeded", job
    effects = stack.effects(tenant)
    assert max(effects[i] for i in ids[:8]) == 1
    for name, proc in stack.procs.items():
        assert proc.alive(), f"{name} exited: {proc.log_path.read_text()[-2000:]}"
    # Work submitted after the restart flows through the same processes.
    late = _accept(api, tenant, "noop")
    assert wait_status(api, tenant, late, "succeeded")["attempts"] == 1


def test_beat_and_workers_outlive_a_broker_restart(
    stack: Stack, stack_api: httpx.Client, stack_tenant: TenantFixture
) -> None:
    api, tenant = stack_api, stack_tenant
    beat = start_beat(stack.env, "beat-restart", JOBPLATFORM_PRUNE_SCHEDULE_SECONDS="1")
    stack.procs["beat"] = beat
    stack.start("scheduled")  # runs beat's fan-out ticks and the jobs they create

    def scheduled_jobs() -> int:
        rows = stack.sql(
            "SELECT count(*) FROM jobs WHERE tenant_id = %s AND type = %s",
            str(tenant.id),
            "maintenance.prune_idempotency_keys",
        )
        return int(rows[0][0])  # type: ignore[call-overload]

    wait_for(lambda: scheduled_jobs() > 0, timeout=60, what="beat to fire")
    stack.broker.stop()
    wait_for(
        lambda: b"dependency_unavailable" in beat.log_path.read_bytes(),
        timeout=60,
        what="beat to notice the broker is gone",
    )
    stack.broker.start()
    fired_before = scheduled_jobs()
    try:
        wait_for(lambda: scheduled_jobs() > fired_before, timeout=180, what="beat to fire again")
    except TimeoutError as exc:
        # Which side stalled (beat sending, or the scheduled worker consuming) is in the logs.
        tails = {n: stack.procs[n].log_path.read_text()[-4000:] for n in ("beat", "scheduled")}
        raise AssertionError(f"{exc}; the last lines of beat and the worker: {tails}") from None
    job_id = _accept(api, tenant, "noop")
    assert wait_status(api, tenant, job_id, "succeeded")["attempts"] == 1
    for name, proc in stack.procs.items():
        assert proc.alive(), f"{name} exited: {proc.log_path.read_text()[-2000:]}"
