"""The Celery task base in-process: the platform's own tasks, wired by the composition root,
run against the real Postgres (and publish to the real Redis), without a worker process.
"""

from __future__ import annotations

import psycopg
import pytest

from jobplatform.application.queries import get_job
from jobplatform.domain.job import Job
from jobplatform.domain.tenant import TenantContext
from jobplatform.infrastructure.celery.config import RUN_JOB_TASK
from jobplatform.infrastructure.container import Container
from support.tenants import TenantFixture
from support.unpublished_jobs import add_unpublished_job

pytestmark = pytest.mark.usefixtures("in_process_worker")


def submit(container: Container, tenant: TenantFixture, type_: str, payload: dict) -> Job:
    return add_unpublished_job(container, tenant.id, type_, payload)


def headers_of(tenant: TenantFixture, job: Job) -> dict[str, str]:
    return {"tenant_id": str(tenant.id), "job_id": str(job.id), "request_id": "in-process"}


def test_the_run_job_task_runs_the_job_for_the_tenant_of_its_headers(
    container: Container, tenant: TenantFixture
) -> None:
    job = submit(container, tenant, "noop", {})
    task = container.celery.tasks[RUN_JOB_TASK]
    result = task.apply(args=[str(job.id)], task_id=str(job.id), headers=headers_of(tenant, job))
    assert result.successful(), result.traceback
    stored, attempts = get_job(job.id, TenantContext(tenant_id=tenant.id), container.uow_factory)
    assert stored.status.value == "succeeded" and len(attempts) == 1


def test_a_message_naming_another_tenant_touches_nothing(
    container: Container, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    job = submit(container, tenant, "noop", {})
    task = container.celery.tasks[RUN_JOB_TASK]
    result = task.apply(args=[str(job.id)], headers=headers_of(other_tenant, job))
    assert result.successful(), result.traceback
    stored, attempts = get_job(job.id, TenantContext(tenant_id=tenant.id), container.uow_factory)
    assert stored.status.value == "queued" and attempts == []


def test_a_message_without_a_tenant_is_kept_and_never_run(
    container: Container, tenant: TenantFixture, database_url: str
) -> None:
    job = submit(container, tenant, "noop", {})
    task = container.celery.tasks[RUN_JOB_TASK]
    task.apply(args=[str(job.id)], headers={"job_id": str(job.id), "request_id": "no-tenant"})
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT reason, headers FROM rejected_messages WHERE job_id = %s", (str(job.id),)
        ).fetchone()
    assert row is not None and "tenant_id" in row[0] and row[1]["request_id"] == "no-tenant"
    stored, _ = get_job(job.id, TenantContext(tenant_id=tenant.id), container.uow_factory)
    assert stored.status.value == "queued"


def test_a_retryable_failure_is_retried_for_the_same_tenant(
    container: Container, tenant: TenantFixture
) -> None:
    # Applied eagerly, Celery runs the retry at once, from the signature ``Task.retry`` built
    # out of the request: the second attempt only finds the job if the tenant came along.
    job = submit(container, tenant, "diagnostic", {"fail_times": 1})
    task = container.celery.tasks[RUN_JOB_TASK]
    result = task.apply(args=[str(job.id)], task_id=str(job.id), headers=headers_of(tenant, job))
    assert result.successful(), result.traceback
    stored, attempts = get_job(job.id, TenantContext(tenant_id=tenant.id), container.uow_factory)
    assert stored.status.value == "succeeded"
    assert [a.outcome for a in attempts] == ["retry", "succeeded"]
