"""Use case: accept a job for the caller's tenant, durably, exactly once per idempotency key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pydantic

from jobplatform.application.errors import IdempotencyConflict, InvalidPayload
from jobplatform.application.ports import Clock, JobIntake, KeyAlreadyClaimed, UnitOfWorkFactory
from jobplatform.application.records import IdempotencyRecord
from jobplatform.domain.job import Job
from jobplatform.domain.job_status import JobStatus
from jobplatform.domain.job_types.catalog import job_type
from jobplatform.domain.job_types.spec import stored_form
from jobplatform.domain.request_fingerprint import request_fingerprint
from jobplatform.domain.tenant import TenantContext


@dataclass(frozen=True, slots=True)
class SubmitJob:
    type: str
    payload: dict[str, Any]
    idempotency_key: str | None = None
    # Only the platform's own schedule submits internal (maintenance) job types.
    internal_allowed: bool = False


@dataclass(frozen=True, slots=True)
class Submitted:
    job: Job
    created: bool


def validate_payload(type_name: str, payload: Any, *, internal_allowed: bool) -> dict[str, Any]:
    """Validate before anything is stored; raises UnknownJobType or InvalidPayload."""
    spec = job_type(type_name, internal_allowed=internal_allowed)
    try:
        model = spec.payload_model.model_validate(payload)
    except pydantic.ValidationError as exc:
        raise InvalidPayload(
            [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        ) from None
    return stored_form(model)


def submit_job(
    cmd: SubmitJob,
    ctx: TenantContext,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    idempotency_ttl: timedelta,
) -> Submitted:
    """Write the job row and its outbox row in one transaction, for the tenant of ``ctx``.

    With an idempotency key, a repeat of the same request returns the original job and a
    different request under the same key raises IdempotencyConflict.
    """
    spec = job_type(cmd.type, internal_allowed=cmd.internal_allowed)
    stored = validate_payload(cmd.type, cmd.payload, internal_allowed=cmd.internal_allowed)
    fingerprint = request_fingerprint(cmd.type, stored)
    if cmd.idempotency_key is None:
        # Nothing to read first: the job and its outbox message are written and committed at
        # once, before the caller answers.
        job = new_queued_job(spec.name, spec.queue.value, stored, ctx, clock.now())
        uow_factory.accept(ctx.tenant_id, [job], ctx.request_id, job.created_at)
        return Submitted(job=job, created=True)
    for _ in range(2):  # a second pass only after losing a race for the same key
        now = clock.now()
        with uow_factory.for_tenant(ctx.tenant_id) as uow:
            if cmd.idempotency_key is not None:
                existing = uow.idempotency.get(cmd.idempotency_key, now)
                if existing is not None:
                    if existing.fingerprint != fingerprint:
                        raise IdempotencyConflict(cmd.idempotency_key)
                    original = uow.jobs.get(existing.job_id)
                    if original is not None:
                        return Submitted(job=original, created=False)
            job = new_queued_job(spec.name, spec.queue.value, stored, ctx, now)
            uow.accept([job], ctx.request_id, now)
            try:
                if cmd.idempotency_key is not None:
                    uow.idempotency.claim(
                        IdempotencyRecord(
                            key=cmd.idempotency_key,
                            fingerprint=fingerprint,
                            job_id=job.id,
                            expires_at=now + idempotency_ttl,
                        ),
                        now,
                    )
                uow.commit()
            except KeyAlreadyClaimed:
                continue
            return Submitted(job=job, created=True)
    raise IdempotencyConflict(cmd.idempotency_key or "")


async def accept_job(
    cmd: SubmitJob, ctx: TenantContext, intake: JobIntake, clock: Clock
) -> Submitted:
    """``submit_job`` for a request without an idempotency key, from an event loop: validated
    the same way, the job and its outbox message committed before this returns."""
    if cmd.idempotency_key is not None:
        raise ValueError("a request with an idempotency key goes through submit_job")
    spec = job_type(cmd.type, internal_allowed=cmd.internal_allowed)
    stored = validate_payload(cmd.type, cmd.payload, internal_allowed=cmd.internal_allowed)
    job = new_queued_job(spec.name, spec.queue.value, stored, ctx, clock.now())
    await intake.accept(ctx.tenant_id, [job], ctx.request_id, job.created_at)
    return Submitted(job=job, created=True)


def new_queued_job(
    type_name: str, queue: str, payload: dict[str, Any], ctx: TenantContext, now: datetime
) -> Job:
    """A job as accepted: queued, no attempt yet, dispatched now (its outbox message)."""
    return Job(
        id=uuid.uuid4(),
        tenant_id=ctx.tenant_id,
        type=type_name,
        queue=queue,
        payload=payload,
        status=JobStatus.QUEUED,
        attempts=0,
        attempts_before_series=0,
        request_id=ctx.request_id,
        created_at=now,
        updated_at=now,
        dispatched_at=now,
    )
