"""Records the use cases pass through the ports besides the Job itself."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jobplatform.domain.job import Job
from jobplatform.domain.job_status import JobStatus
from jobplatform.domain.tenant import TenantId


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A job waiting to be published to its queue (or already published)."""

    id: int | None
    job_id: uuid.UUID
    tenant_id: TenantId
    job_type: str
    queue: str
    request_id: str | None
    created_at: datetime
    # The broker holds the message until then (a re-published retry keeps its due time).
    not_before: datetime | None = None
    # Set on a job's first message only (never run, never re-published): what the relay may
    # hand the worker so the run needs no read of the job (a run ticket, see RunTicket).
    first_delivery: FirstDelivery | None = None

    @classmethod
    def for_job(
        cls,
        job: Job,
        request_id: str | None,
        now: datetime,
        not_before: datetime | None = None,
    ) -> OutboxMessage:
        """The message that sends ``job`` to its queue."""
        return cls(
            id=None,
            job_id=job.id,
            tenant_id=job.tenant_id,
            job_type=job.type,
            queue=job.queue,
            request_id=request_id,
            created_at=now,
            not_before=not_before,
        )


@dataclass(frozen=True, slots=True)
class FirstDelivery:
    """A never-run job's payload as accepted, and when its first message was queued."""

    payload: dict[str, Any]
    dispatched_at: datetime


@dataclass(frozen=True, slots=True)
class RunTicket:
    """A first delivery's job as its message carried it, checked by the worker (signed by the
    relay, not redelivered, still within its window): the run starts without reading the job
    and writes nothing until its outcome. The window ends before the reconciler could publish
    the job again, so a delivery that could race another run reads the job as before."""

    job_type: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    key: str
    fingerprint: str
    job_id: uuid.UUID
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: uuid.UUID
    tenant_id: TenantId
    job_id: uuid.UUID
    job_type: str
    reason: str
    attempts: int
    error_class: str | None
    created_at: datetime
    replayed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    job_id: uuid.UUID
    tenant_id: TenantId
    attempt: int
    started_at: datetime
    finished_at: datetime
    outcome: str
    error_class: str | None
    retry_delay: float | None


@dataclass(frozen=True, slots=True)
class SucceededRun:
    """A run that succeeded, its outcome not stored yet: a worker writes such outcomes behind
    the runs, several in one round trip."""

    tenant: TenantId
    job: Job
    attempt: AttemptRecord
    # Set for a run started from its ticket, to the worker it ran in: its job may still read
    # queued (first attempt), or running under this worker's lease once its lease keeper
    # marked it; either is this run's to record.
    ticket_owner: str | None = None


@dataclass(frozen=True, slots=True)
class RejectedMessage:
    """A message refused before running (no tenant, unknown job): kept for inspection."""

    task_name: str
    job_id: str | None
    reason: str
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class StallBounds:
    """How long a job may make no progress before the reconciler publishes it again."""

    # Queued and published this long ago without starting (doubled after each re-publish).
    queued_after: timedelta
    # Retrying this long past its due time.
    retry_grace: timedelta


@dataclass(frozen=True, slots=True)
class StalledJob:
    id: uuid.UUID
    tenant_id: TenantId
    type: str
    queue: str
    request_id: str | None
    status: JobStatus
    next_attempt_at: datetime | None
