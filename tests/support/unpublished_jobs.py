"""Jobs stored without an outbox row: the running relay never publishes them, so the only
delivery they get is the one an in-process test makes (no worker of the session races it)."""

from __future__ import annotations

import uuid
from typing import Any

from jobplatform.application.submit_job import validate_payload
from jobplatform.domain.job import Job
from jobplatform.domain.job_status import JobStatus
from jobplatform.domain.job_types.catalog import job_type
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.container import Container


def add_unpublished_job(
    container: Container,
    tenant: TenantId,
    type_: str,
    payload: dict[str, Any],
    *,
    internal_allowed: bool = False,
) -> Job:
    spec = job_type(type_)
    now = container.clock.now()
    job = Job(
        id=uuid.uuid4(),
        tenant_id=tenant,
        type=spec.name,
        queue=spec.queue.value,
        payload=validate_payload(type_, payload, internal_allowed=internal_allowed),
        status=JobStatus.QUEUED,
        attempts=0,
        attempts_before_series=0,
        request_id="in-process",
        created_at=now,
        updated_at=now,
        dispatched_at=now,
    )
    with container.uow_factory.for_tenant(tenant) as uow:
        uow.jobs.add(job)
        uow.commit()
    return job
