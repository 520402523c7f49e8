"""Use case: accept many jobs for the caller's tenant in one transaction, all or none.

Every item is validated before anything is stored; one invalid item refuses the whole batch
(with the place of each fault), so a client never has to find out which half was written.
Each item may carry its own idempotency key, with the meaning it has for a single submit: a
key seen before for the same type and payload returns the original job (``created`` false), a
key seen before for another request refuses the batch (409).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from jobplatform.application.errors import (
    BatchIdempotencyConflict,
    IdempotencyConflict,
    InvalidBatch,
    InvalidPayload,
)
from jobplatform.application.ports import (
    Clock,
    JobIntake,
    KeyAlreadyClaimed,
    UnitOfWorkFactory,
)
from jobplatform.application.records import IdempotencyRecord
from jobplatform.application.submit_job import (
    SubmitJob,
    Submitted,
    new_queued_job,
    validate_payload,
)
from jobplatform.domain.job import Job
from jobplatform.domain.job_types.catalog import UnknownJobType, job_type
from jobplatform.domain.request_fingerprint import request_fingerprint
from jobplatform.domain.tenant import TenantContext


@dataclass(frozen=True, slots=True)
class _Item:
    cmd: SubmitJob
    type_name: str
    queue: str
    stored: dict[str, Any]
    # Only an item with an idempotency key is compared with an earlier request.
    fingerprint: str | None


async def accept_batch(
    cmds: Sequence[SubmitJob],
    ctx: TenantContext,
    intake: JobIntake,
    clock: Clock,
    max_jobs: int,
) -> list[Submitted]:
    """``submit_batch`` for a batch without idempotency keys, from an event loop: validated
    the same way, all jobs and their outbox messages committed together before this returns."""
    if any(cmd.idempotency_key is not None for cmd in cmds):
        raise ValueError("a batch with idempotency keys goes through submit_batch")
    items = _validate(cmds, max_jobs)
    now = clock.now()
    jobs = [new_queued_job(i.type_name, i.queue, i.stored, ctx, now) for i in items]
    await intake.accept(ctx.tenant_id, jobs, ctx.request_id, now)
    return [Submitted(job=job, created=True) for job in jobs]


def submit_batch(
    cmds: Sequence[SubmitJob],
    ctx: TenantContext,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    idempotency_ttl: timedelta,
    max_jobs: int,
) -> list[Submitted]:
    """The jobs of ``cmds``, in their order, all committed (job + outbox) before returning."""
    items = _validate(cmds, max_jobs)
    if all(item.cmd.idempotency_key is None for item in items):
        now = clock.now()
        jobs = [new_queued_job(i.type_name, i.queue, i.stored, ctx, now) for i in items]
        uow_factory.accept(ctx.tenant_id, jobs, ctx.request_id, now)
        return [Submitted(job=job, created=True) for job in jobs]
    for _ in range(2):  # a second pass only after losing a race for one of the keys
        results = _with_keys(items, ctx, uow_factory, clock, idempotency_ttl)
        if results is not None:
            return results
    raise IdempotencyConflict("a key of this batch was claimed concurrently twice")


def _validate(cmds: Sequence[SubmitJob], max_jobs: int) -> list[_Item]:
    if not cmds:
        raise InvalidBatch([{"loc": ["jobs"], "msg": "a batch needs at least one job",
                             "type": "too_short"}])  # fmt: skip
    if len(cmds) > max_jobs:
        raise InvalidBatch(
            [{"loc": ["jobs"], "msg": f"at most {max_jobs} jobs per batch", "type": "too_long"}]
        )
    errors: list[dict[str, list[object] | str]] = []
    items: list[_Item] = []
    first_use: dict[str, int] = {}
    for index, cmd in enumerate(cmds):
        try:
            spec = job_type(cmd.type, internal_allowed=cmd.internal_allowed)
            stored = validate_payload(cmd.type, cmd.payload, internal_allowed=cmd.internal_allowed)
        except UnknownJobType:
            errors.append({"loc": ["jobs", index, "type"], "msg": "unknown job type",
                           "type": "unknown_job_type"})  # fmt: skip
            continue
        except InvalidPayload as exc:
            errors.extend(
                {**e, "loc": ["jobs", index, "payload", *e["loc"]]}  # type: ignore[list-item]
                for e in exc.errors
            )
            continue
        key = cmd.idempotency_key
        if key is not None:
            if key in first_use:
                errors.append(
                    {
                        "loc": ["jobs", index, "idempotency_key"],
                        "msg": f"the same idempotency_key as item {first_use[key]}",
                        "type": "duplicate_key",
                    }
                )
                continue
            first_use[key] = index
        fingerprint = None if key is None else request_fingerprint(spec.name, stored)
        items.append(_Item(cmd, spec.name, spec.queue.value, stored, fingerprint))
    if errors:
        raise InvalidBatch(errors)
    return items


def _with_keys(
    items: list[_Item],
    ctx: TenantContext,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    idempotency_ttl: timedelta,
) -> list[Submitted] | None:
    """One transaction for a batch with keys; None when a concurrent request won a key."""
    now = clock.now()
    with uow_factory.for_tenant(ctx.tenant_id) as uow:
        results: list[Submitted] = []
        new_jobs: list[Job] = []
        claims: list[IdempotencyRecord] = []
        for index, item in enumerate(items):
            key = item.cmd.idempotency_key
            if key is not None:
                existing = uow.idempotency.get(key, now)
                if existing is not None:
                    if item.fingerprint is None or existing.fingerprint != item.fingerprint:
                        raise BatchIdempotencyConflict(key, index)
                    original = uow.jobs.get(existing.job_id)
                    if original is not None:
                        results.append(Submitted(job=original, created=False))
                        continue
            job = new_queued_job(item.type_name, item.queue, item.stored, ctx, now)
            new_jobs.append(job)
            results.append(Submitted(job=job, created=True))
            if key is not None and item.fingerprint is not None:
                claims.append(
                    IdempotencyRecord(
                        key=key,
                        fingerprint=item.fingerprint,
                        job_id=job.id,
                        expires_at=now + idempotency_ttl,
                    )
                )
        if new_jobs:
            uow.accept(new_jobs, ctx.request_id, now)
        try:
            for claim in claims:
                uow.idempotency.claim(claim, now)
            uow.commit()
        except KeyAlreadyClaimed:
            return None
        return results
