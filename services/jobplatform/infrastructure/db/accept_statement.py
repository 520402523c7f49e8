"""What the web's accept statements (``hot_path.ACCEPT_JOBS``, and ``ACCEPT_ONE_JOB`` for a
single job) are given, shared by the two paths that send them: the unit of work (in a worker
thread) and the event loop's job intake. Both must write the same rows under the same tenant
scope, so both take them from here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import text

from jobplatform.domain.job import Job
from jobplatform.domain.job_status import JobStatus
from jobplatform.domain.tenant import TenantId

# Transaction-local: the row-level security policies read it, and it ends with the commit.
SET_TENANT = text("SELECT set_config('jobplatform.tenant_id', :tenant, true)")


def accepts_as_new(
    jobs: Sequence[Job], tenant: TenantId, request_id: str | None, now: datetime
) -> bool:
    """Whether ``jobs`` are what ACCEPT_JOBS writes: new, queued, of this tenant and request."""
    return all(
        j.tenant_id == tenant
        and j.status is JobStatus.QUEUED
        and j.attempts == 0
        and j.attempts_before_series == 0
        and j.request_id == request_id
        and j.created_at == j.updated_at == j.dispatched_at == now
        and j.started_at is None
        and j.finished_at is None
        and j.error_class is None
        and j.lease_owner is None
        and j.next_attempt_at is None
        and j.redispatches == 0
        for j in jobs
    )


def accept_params(
    jobs: Sequence[Job], tenant: TenantId, request_id: str | None, now: datetime
) -> dict[str, Any]:
    return {
        "tenant": tenant.value,
        "request_id": request_id,
        "now": now,
        "ids": [j.id for j in jobs],
        "types": [j.type for j in jobs],
        "queues": [j.queue for j in jobs],
        "payloads": [Jsonb(j.payload) for j in jobs],
    }


def accept_one_params(
    job: Job, tenant: TenantId, request_id: str | None, now: datetime
) -> dict[str, Any]:
    """``accept_params`` of one job, for ``hot_path.ACCEPT_ONE_JOB``."""
    return {
        "tenant": tenant.value,
        "request_id": request_id,
        "now": now,
        "id": job.id,
        "type": job.type,
        "queue": job.queue,
        "payload": Jsonb(job.payload),
    }
