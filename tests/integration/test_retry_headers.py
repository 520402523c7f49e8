"""Two mechanisms keep a retried message's tenant, and each is tested on its own.

Celery's ``Task.retry`` copies the delivery's custom headers onto the retried message; the
platform's publish hook stamps the bound tenant context on every message published while a
job runs. The task runs in-process as a worker runs it, and its retry is published to the
real Redis broker, where the test reads the message back. Each test ends with a control that
switches off the one mechanism it relies on and sees the header go: the tests can fail.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import redis
from celery.app.task import Context
from celery.signals import before_task_publish

from jobplatform.domain.job import Job
from jobplatform.infrastructure.celery.publish_hooks import add_platform_headers
from jobplatform.infrastructure.container import Container
from support.deliveries import deliver_expecting_retry
from support.tenants import TenantFixture
from support.unpublished_jobs import add_unpublished_job

pytestmark = pytest.mark.usefixtures("in_process_worker")


def _retrying_job(container: Container, tenant: TenantFixture) -> Job:
    # Fails its first attempts with a retryable error: the task calls Task.retry.
    return add_unpublished_job(container, tenant.id, "diagnostic", {"fail_times": 5})


def _deliver(
    container: Container, redis_client: redis.Redis, job: Job, **request: Any
) -> dict[str, Any]:
    """Run one delivery of ``job`` with the given request fields, as a worker would, and
    return the headers of the retry it published (read from a queue nobody consumes)."""
    queue = f"retry-probe-{uuid.uuid4().hex[:8]}"
    deliver_expecting_retry(container, job, queue, "retry-probe@local", **request)
    raw = redis_client.lpop(queue)
    assert raw is not None, "the retry was not published"
    headers: dict[str, Any] = json.loads(raw)["headers"]
    return headers


def test_celerys_retry_copies_the_delivery_headers(
    container: Container, redis_client: redis.Redis, tenant: TenantFixture
) -> None:
    job = _retrying_job(container, tenant)
    # A worker builds the request from the message: custom headers become request.headers.
    delivered = {"tenant_id": str(tenant.id), "job_id": str(job.id), "request_id": "original-req"}
    headers = _deliver(container, redis_client, job, **delivered)
    assert headers["tenant_id"] == str(tenant.id)
    # The hook never sets job_id: only Celery's copy of the delivery's headers can.
    assert headers["job_id"] == str(job.id)
    assert headers["retries"] == 1 and headers["id"] == str(job.id)

    # Control: without Celery's copy, job_id is gone (the hook still keeps the tenant).
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Context, "_filter_x_death_headers", lambda self, headers: {})
        bare = _deliver(container, redis_client, job, **delivered)
    assert "job_id" not in bare and bare["tenant_id"] == str(tenant.id)


def test_the_publish_hook_puts_the_tenant_on_a_retry_whose_copied_headers_lack_it(
    container: Container, redis_client: redis.Redis, tenant: TenantFixture
) -> None:
    job = _retrying_job(container, tenant)
    # The tenant reached the worker as a request attribute, but the header dict Celery copies
    # on retry does not hold it (older message protocols, a proxy that rewrote headers).
    delivered = {
        "tenant_id": str(tenant.id),
        "request_id": "original-req",
        "headers": {"job_id": str(job.id)},
    }
    headers = _deliver(container, redis_client, job, **delivered)
    assert headers["tenant_id"] == str(tenant.id)
    assert headers["request_id"] == "original-req"
    assert float(headers["published_at"]) > 0

    # Control: without the hook, the retried message has no tenant, and would be rejected.
    before_task_publish.disconnect(add_platform_headers)
    try:
        bare = _deliver(container, redis_client, job, **delivered)
    finally:
        before_task_publish.connect(add_platform_headers)
    assert "tenant_id" not in bare and bare["job_id"] == str(job.id)
