"""Use case: run one delivery of a job for the message's tenant and record what happened."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

import structlog

from jobplatform.application.effects import EffectGuard
from jobplatform.application.handlers.job_run import JobRun
from jobplatform.application.handlers.registry import AFTER_FINISH, HANDLERS
from jobplatform.application.job_services import JobServices
from jobplatform.application.ports import Clock, DeferredOutcomes, EventSink, UnitOfWorkFactory
from jobplatform.application.records import AttemptRecord, DeadLetter, RunTicket, SucceededRun
from jobplatform.application.tenant_units import TenantUnits
from jobplatform.domain.errors import NonRetryableError, RetryableError, error_class_name
from jobplatform.domain.job import Job
from jobplatform.domain.job_status import JobStatus
from jobplatform.domain.job_types.catalog import job_type
from jobplatform.domain.tenant import TenantContext, TenantId

log = structlog.get_logger("jobplatform.run_job")


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    RETRY = "retry"
    DEAD = "dead"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class RunResult:
    outcome: Outcome
    job_type: str | None = None
    attempt: int = 0
    retry_delay: float | None = None
    error_class: str | None = None
    duration: float = 0.0


_OVER_FOR_GOOD = frozenset({Outcome.SUCCEEDED, Outcome.DEAD})


@dataclass(frozen=True, slots=True)
class JobRunner:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    events: EventSink
    # How long a run holds its job without renewal; the worker renews it while the run lasts,
    # so it only runs out when the worker is gone.
    lease: timedelta = timedelta(seconds=30)
    rng: random.Random | None = None
    services: JobServices = field(default_factory=JobServices)
    # Where a worker writes succeeded outcomes behind the runs; None records each at once.
    deferred: DeferredOutcomes | None = None

    def run(
        self,
        job_id: uuid.UUID,
        ctx: TenantContext,
        owner: str,
        ticket: RunTicket | None = None,
    ) -> RunResult:
        """Run the job once, for the tenant of ``ctx`` only, in the worker ``owner``. Safe to
        call again for the same job: finished jobs and jobs another live run holds are skipped.

        With a checked ``ticket`` (a first delivery, records.RunTicket) and a write-behind,
        the run starts from the ticket and writes nothing until its outcome: a success goes
        behind the run like any other; any other outcome takes the job first.

        A failure to read or record the job's state (the database is unreachable) raises, so
        the caller keeps the message for another delivery instead of dropping it.
        """
        units = TenantUnits(self.uow_factory, ctx.tenant_id)
        from_ticket = ticket is not None and self.deferred is not None
        job: Job | None
        if ticket is not None and from_ticket:
            job = self._from_ticket(job_id, units.tenant, ticket, ctx)
        else:
            job = self._start(job_id, units, owner)
        if job is None:
            return RunResult(Outcome.SKIPPED)
        started = self.clock.now()
        spec = job_type(job.type)
        run = JobRun(
            job_id=job.id,
            # The job's own id, even when the message carried none.
            context=replace(ctx, job_id=job.id),
            attempt=job.attempts,
            effects=EffectGuard(job.id, units, self.clock),
            events=self.events,
            units=units,
            clock=self.clock,
            services=self.services,
        )
        error: BaseException | None = None
        payload = None
        try:
            payload = spec.payload_model.model_validate(job.payload)
            HANDLERS[job.type](payload, run)
        except Exception as exc:  # every failure is classified below, none is swallowed
            error = exc
        if from_ticket and not self._writes_behind(job.type, error):
            claimed = self.uow_factory.claim_ticket_run(
                units.tenant,
                job.id,
                started,
                self.clock.now(),
                owner,
                self.clock.now() + self.lease,
            )
            if claimed is None:
                # Another delivery of the job ran meanwhile: its outcome is the one that counts.
                log.warning("job_run_superseded", job_id=str(job.id), attempt=job.attempts)
                return RunResult(Outcome.SKIPPED, job_type=job.type, attempt=job.attempts)
            job, from_ticket = claimed, False
        result = self._finish(job, units, started, error, owner if from_ticket else None)
        after = AFTER_FINISH.get(job.type)
        if after is not None and payload is not None and result.outcome in _OVER_FOR_GOOD:
            try:
                after(payload, run)
            except Exception as exc:  # the outcome stands; a scheduled cleanup follows up
                log.warning(
                    "job_after_finish_failed",
                    job_id=str(job.id),
                    job_type=job.type,
                    error_class=error_class_name(exc),
                )
        return result

    def _start(self, job_id: uuid.UUID, units: TenantUnits, owner: str) -> Job | None:
        now = self.clock.now()
        job = self.uow_factory.start_attempt(units.tenant, job_id, now, owner, now + self.lease)
        if job is None:
            # Unknown in this tenant's scope, finished, or held by a live run: a duplicate.
            log.info("job_skipped", job_id=str(job_id))
        return job

    def _from_ticket(
        self, job_id: uuid.UUID, tenant: TenantId, ticket: RunTicket, ctx: TenantContext
    ) -> Job:
        """The job as its ticket carries it, on its first attempt; nothing is written."""
        now = self.clock.now()
        return Job(
            id=job_id,
            tenant_id=tenant,
            type=ticket.job_type,
            queue=job_type(ticket.job_type).queue.value,
            payload=ticket.payload,
            status=JobStatus.RUNNING,
            attempts=1,
            attempts_before_series=0,
            request_id=ctx.request_id,
            created_at=now,
            updated_at=now,
            started_at=now,
        )

    def _writes_behind(self, job_type_name: str, error: BaseException | None) -> bool:
        """Whether this run's outcome goes to the write-behind: a success, unless a step after
        the outcome relies on it being stored before it runs."""
        return self.deferred is not None and error is None and job_type_name not in AFTER_FINISH

    def _finish(
        self,
        job: Job,
        units: TenantUnits,
        started: datetime,
        error: BaseException | None,
        ticket_owner: str | None = None,
    ) -> RunResult:
        spec = job_type(job.type)
        now = self.clock.now()
        delay: float | None = None
        if error is None:
            job.status, job.error_class = JobStatus.SUCCEEDED, None
        elif isinstance(error, NonRetryableError):
            job.status, job.error_class = JobStatus.DEAD, error_class_name(error)
        else:
            # RetryableError and anything unexpected (a bug, a dropped connection) are retried
            # until the policy's cap: a transient fault must not kill a job at once.
            job.error_class = error_class_name(error)
            if spec.retry_policy.may_retry(job.retries_done):
                job.status = JobStatus.RETRYING
                delay = spec.retry_policy.delay(job.retries_done, self.rng)
                if isinstance(error, RetryableError) and error.retry_after is not None:
                    # The peer said when to come back (Retry-After): not before then.
                    delay = max(delay, error.retry_after)
                job.next_attempt_at = now + timedelta(seconds=delay)
            else:
                job.status = JobStatus.DEAD
        if job.status.is_terminal:
            job.finished_at = now
        job.updated_at = now
        outcome = {
            JobStatus.SUCCEEDED: Outcome.SUCCEEDED,
            JobStatus.RETRYING: Outcome.RETRY,
            JobStatus.DEAD: Outcome.DEAD,
        }[job.status]
        record = AttemptRecord(
            job_id=job.id,
            tenant_id=job.tenant_id,
            attempt=job.attempts,
            started_at=started,
            finished_at=now,
            outcome=outcome.value,
            error_class=job.error_class,
            retry_delay=delay,
        )
        if self.deferred is not None and self._writes_behind(job.type, error):
            # Its effects are done (and in the ledger): a worker that dies before the write
            # leaves the job running (queued, from a ticket), and its lease running out (the
            # queued bound passing) has it run again, effects skipped. The run's message is
            # acknowledged meanwhile.
            self.deferred.defer(SucceededRun(units.tenant, job, record, ticket_owner))
            return self._finished(job, outcome, error, delay, started, now)
        if job.status is not JobStatus.DEAD:
            # The outcome alone, in a transaction of its own (one round trip where the
            # adapter can).
            if not self.uow_factory.record_attempt(units.tenant, job, record):
                log.warning("job_run_superseded", job_id=str(job.id), attempt=job.attempts)
                return RunResult(Outcome.SKIPPED, job_type=job.type, attempt=job.attempts)
            return self._finished(job, outcome, error, delay, started, now)
        with units.open() as uow:
            recorded = uow.jobs.record_attempt(job, record)
            if not recorded:
                # This run's lease ran out and another run took the job over: its outcome is
                # the one that counts. (Effects are guarded by the ledger either way.)
                log.warning("job_run_superseded", job_id=str(job.id), attempt=job.attempts)
                return RunResult(Outcome.SKIPPED, job_type=job.type, attempt=job.attempts)
            # Dead: the outcome and its dead letter, together.
            uow.dead_letters.add(
                DeadLetter(
                    id=uuid.uuid4(),
                    tenant_id=job.tenant_id,
                    job_id=job.id,
                    job_type=job.type,
                    reason=_dead_reason(error),
                    attempts=job.attempts,
                    error_class=job.error_class,
                    created_at=now,
                )
            )
            uow.commit()
        return self._finished(job, outcome, error, delay, started, now)

    def _finished(
        self,
        job: Job,
        outcome: Outcome,
        error: BaseException | None,
        delay: float | None,
        started: datetime,
        now: datetime,
    ) -> RunResult:
        if error is not None:
            log.warning(
                "job_failed",
                job_id=str(job.id),
                job_type=job.type,
                attempt=job.attempts,
                error_class=job.error_class,
                outcome=outcome.value,
                retry_in=delay,
                retryable=not isinstance(error, NonRetryableError),
            )
        return RunResult(
            outcome,
            job_type=job.type,
            attempt=job.attempts,
            retry_delay=delay,
            error_class=job.error_class,
            duration=(now - started).total_seconds(),
        )


def _dead_reason(error: BaseException | None) -> str:
    if isinstance(error, NonRetryableError):
        return "non_retryable"
    if isinstance(error, RetryableError):
        return "retries_exhausted"
    return "retries_exhausted_unexpected_error"
