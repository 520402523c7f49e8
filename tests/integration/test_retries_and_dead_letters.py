"""Retries back off and keep the tenant; dead jobs are dead-lettered and can be replayed."""

from __future__ import annotations

import itertools
from datetime import datetime

import httpx

from support.jobs import submit, wait_status
from support.tenants import TenantFixture


def test_two_retryable_failures_then_success(
    api: httpx.Client, tenant: TenantFixture, platform: object
) -> None:
    job_id = submit(api, tenant, "diagnostic", {"fail_times": 2}).json()["job_id"]
    job = wait_status(api, tenant, job_id, "succeeded", "dead", timeout=90)
    assert job["status"] == "succeeded"
    assert job["attempts"] == 3
    history = job["attempt_history"]
    assert [a["outcome"] for a in history] == ["retry", "retry", "succeeded"]
    assert [a["error_class"] for a in history[:2]] == ["TransientDiagnosticFailure"] * 2
    delays = [a["retry_delay"] for a in history[:2]]
    assert 0 < delays[0] <= delays[1]
    # Attempts ran one after another (an order, not a duration: no timed assertion).
    for before, after in itertools.pairwise(history):
        assert datetime.fromisoformat(after["started_at"]) >= datetime.fromisoformat(
            before["finished_at"]
        )


def test_retries_keep_the_tenant(
    api: httpx.Client, tenant: TenantFixture, other_tenant: TenantFixture, platform: object
) -> None:
    job_id = submit(api, tenant, "diagnostic", {"fail_times": 1}).json()["job_id"]
    job = wait_status(api, tenant, job_id, "succeeded", "dead", timeout=60)
    # The retried delivery could only update the row under the same tenant (RLS), so
    # success after a retry proves the retried message carried the original tenant.
    assert job["status"] == "succeeded" and job["attempts"] == 2
    assert api.get(f"/v1/jobs/{job_id}", headers=other_tenant.headers).status_code == 404


def test_non_retryable_error_is_dead_at_once(
    api: httpx.Client, tenant: TenantFixture, platform: object
) -> None:
    job_id = submit(api, tenant, "diagnostic", {"non_retryable": True}).json()["job_id"]
    job = wait_status(api, tenant, job_id, "dead")
    assert job["attempts"] == 1
    assert job["error_class"] == "PermanentDiagnosticFailure"
    letters = api.get("/v1/dead-letters", headers=tenant.headers).json()["items"]
    letter = next(x for x in letters if x["job_id"] == job_id)
    assert letter["reason"] == "non_retryable"
    assert letter["attempts"] == 1


def test_exhausted_job_is_dead_lettered_and_replay_succeeds(
    api: httpx.Client, tenant: TenantFixture, platform: object
) -> None:
    # max_retries is 3: attempts 1..4 fail, the job is dead; the replay's attempt 5 succeeds.
    job_id = submit(api, tenant, "diagnostic", {"fail_times": 4}).json()["job_id"]
    job = wait_status(api, tenant, job_id, "dead", timeout=120)
    assert job["attempts"] == 4
    letters = api.get("/v1/dead-letters", headers=tenant.headers).json()["items"]
    letter = next(x for x in letters if x["job_id"] == job_id)
    assert letter["reason"] == "retries_exhausted"
    assert letter["error_class"] == "TransientDiagnosticFailure"

    replay = api.post(f"/v1/dead-letters/{letter['id']}/replay", headers=tenant.headers)
    assert replay.status_code == 202, replay.text
    job = wait_status(api, tenant, job_id, "succeeded", "dead", timeout=60)
    assert job["status"] == "succeeded" and job["attempts"] == 5
    again = api.post(f"/v1/dead-letters/{letter['id']}/replay", headers=tenant.headers)
    assert again.status_code == 409
    open_letters = api.get("/v1/dead-letters", headers=tenant.headers).json()["items"]
    assert letter["id"] not in {x["id"] for x in open_letters}
