"""A job goes from HTTP submit to succeeded on each queue's own worker pool."""

from __future__ import annotations

import uuid

import httpx
import pytest

from jobplatform.application.schedule import FanOut, fan_out
from jobplatform.infrastructure.container import Container
from support.jobs import submit, wait_status
from support.tenants import TenantFixture


@pytest.mark.parametrize(
    ("job_type", "queue", "payload"),
    [
        ("noop", "default", {}),
        ("diagnostic", "heavy", {"sleep_seconds": 0.1}),
    ],
)
def test_submitted_job_succeeds_on_its_queue(
    api: httpx.Client,
    tenant: TenantFixture,
    platform: object,
    job_type: str,
    queue: str,
    payload: dict[str, object],
) -> None:
    response = submit(api, tenant, job_type, payload)
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    assert response.headers["Location"] == f"/v1/jobs/{job_id}"
    job = wait_status(api, tenant, job_id, "succeeded", "dead")
    assert job["status"] == "succeeded"
    assert job["queue"] == queue
    assert job["attempts"] == 1
    assert [a["outcome"] for a in job["attempt_history"]] == ["succeeded"]


def test_a_scheduled_internal_job_succeeds_on_the_scheduled_queue(
    api: httpx.Client, tenant: TenantFixture, container: Container, platform: object
) -> None:
    # Internal job types come only from the schedule (tenants cannot submit them).
    slot = uuid.uuid4().int % 10**9
    cmd = FanOut("lifecycle-test", "maintenance.prune_idempotency_keys", slot)
    assert fan_out(cmd, container.uow_factory, container.clock, container.idempotency_ttl) >= 1
    listed = api.get(
        "/v1/jobs", params={"type": "maintenance.prune_idempotency_keys"}, headers=tenant.headers
    ).json()["items"]
    (job_id,) = [j["id"] for j in listed]
    job = wait_status(api, tenant, job_id, "succeeded", "dead")
    assert (job["status"], job["queue"], job["attempts"]) == ("succeeded", "scheduled", 1)


def test_request_id_is_returned_and_kept_on_the_job(
    api: httpx.Client, tenant: TenantFixture, platform: object
) -> None:
    response = submit(api, tenant, "noop", {}, **{"X-Request-ID": "req-lifecycle-1"})
    assert response.headers["X-Request-ID"] == "req-lifecycle-1"
    job = wait_status(api, tenant, response.json()["job_id"], "succeeded")
    assert job["request_id"] == "req-lifecycle-1"


def test_generated_request_id_when_absent_or_malformed(
    api: httpx.Client, tenant: TenantFixture
) -> None:
    absent = submit(api, tenant, "noop")
    malformed = submit(api, tenant, "noop", **{"X-Request-ID": "bad id with spaces"})
    assert len(absent.headers["X-Request-ID"]) >= 16
    assert malformed.headers["X-Request-ID"] != "bad id with spaces"
