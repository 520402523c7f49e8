"""Use case: send a dead job back to its queue with a fresh retry budget."""

from __future__ import annotations

import uuid

from jobplatform.application.errors import AlreadyReplayed, NotFound
from jobplatform.application.ports import Clock, UnitOfWorkFactory
from jobplatform.application.records import OutboxMessage
from jobplatform.domain.job import Job
from jobplatform.domain.job_status import JobStatus
from jobplatform.domain.tenant import TenantContext


def replay_dead_letter(
    letter_id: uuid.UUID, ctx: TenantContext, uow_factory: UnitOfWorkFactory, clock: Clock
) -> Job:
    """Requeue the dead letter's job in one transaction (job row, letter, outbox row)."""
    now = clock.now()
    with uow_factory.for_tenant(ctx.tenant_id) as uow:
        letter = uow.dead_letters.get(letter_id, for_update=True)
        if letter is None:
            raise NotFound(f"dead letter {letter_id}")
        if letter.replayed_at is not None:
            raise AlreadyReplayed(str(letter_id))
        job = uow.jobs.get(letter.job_id, for_update=True)
        if job is None or job.status is not JobStatus.DEAD:
            raise AlreadyReplayed(f"job {letter.job_id} is not dead")
        job.status = JobStatus.QUEUED
        job.attempts_before_series = job.attempts
        job.finished_at = None
        job.updated_at = job.dispatched_at = now
        job.redispatches = 0
        uow.jobs.save(job)
        uow.dead_letters.mark_replayed(letter_id, now)
        uow.outbox.add(OutboxMessage.for_job(job, ctx.request_id or job.request_id, now))
        uow.commit()
        return job
