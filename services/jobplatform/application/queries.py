"""Read side for the API: a tenant sees only its own jobs and dead letters."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from jobplatform.application.errors import NotFound
from jobplatform.application.ports import UnitOfWorkFactory
from jobplatform.application.records import AttemptRecord, DeadLetter
from jobplatform.domain.job import Job
from jobplatform.domain.job_status import JobStatus
from jobplatform.domain.tenant import TenantContext


def get_job(
    job_id: uuid.UUID, ctx: TenantContext, uow_factory: UnitOfWorkFactory
) -> tuple[Job, Sequence[AttemptRecord]]:
    with uow_factory.for_tenant(ctx.tenant_id) as uow:
        job = uow.jobs.get(job_id)
        if job is None:
            raise NotFound(f"job {job_id}")
        return job, uow.attempts.for_job(job_id)


def list_jobs(
    ctx: TenantContext,
    uow_factory: UnitOfWorkFactory,
    *,
    status: JobStatus | None,
    job_type: str | None,
    limit: int,
    before: tuple[datetime, uuid.UUID] | None,
) -> Sequence[Job]:
    with uow_factory.for_tenant(ctx.tenant_id) as uow:
        return uow.jobs.list(status=status, job_type=job_type, limit=limit, before=before)


def list_dead_letters(
    ctx: TenantContext, uow_factory: UnitOfWorkFactory, *, include_replayed: bool, limit: int
) -> Sequence[DeadLetter]:
    with uow_factory.for_tenant(ctx.tenant_id) as uow:
        return uow.dead_letters.list(include_replayed=include_replayed, limit=limit)
