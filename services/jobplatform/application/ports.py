"""Interfaces the application needs from the outside world; infrastructure implements them."""

from __future__ import annotations

import abc
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from jobplatform.application.audit import AuditLog
from jobplatform.application.audit_daily import AuditDailyCounts
from jobplatform.application.imports import Contacts, ImportProgressLog, ImportUploads
from jobplatform.application.records import (
    AttemptRecord,
    DeadLetter,
    IdempotencyRecord,
    OutboxMessage,
    RejectedMessage,
    StallBounds,
    StalledJob,
    SucceededRun,
)
from jobplatform.application.reports import ReportRows
from jobplatform.application.webhooks import WebhookAttempts, WebhookEndpoints
from jobplatform.domain.job import Job
from jobplatform.domain.job_status import JobStatus
from jobplatform.domain.tenant import TenantId


class KeyAlreadyClaimed(Exception):
    """Another request claimed the same idempotency key first (a concurrent duplicate)."""


class StoreUnavailable(Exception):
    """The database cannot be reached (down, restarting, or the connection broke). Nothing
    was recorded by the failed statement; the caller retries later or answers 503."""

    def __init__(self, reason: str, *, connection_invalidated: bool = False):
        super().__init__(reason)
        # The pooled connection was found dead and dropped: a new one may well work.
        self.connection_invalidated = connection_invalidated


class PublishError(Exception):
    """The broker could not take the message; it stays in the outbox."""


class JobRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, job: Job) -> None: ...

    @abc.abstractmethod
    def get(self, job_id: uuid.UUID, *, for_update: bool = False) -> Job | None: ...

    @abc.abstractmethod
    def save(self, job: Job) -> None: ...

    @abc.abstractmethod
    def start_attempt(
        self, job_id: uuid.UUID, now: datetime, owner: str, lease_until: datetime
    ) -> Job | None:
        """Atomically move a startable job (queued, retrying, or running with an expired
        lease) to running with one more attempt and a lease for ``owner``; None if the job is
        not in scope, finished, or running under a live lease (a duplicate delivery)."""

    @abc.abstractmethod
    def claim_ticket_run(
        self, job_id: uuid.UUID, started: datetime, now: datetime, owner: str, lease_until: datetime
    ) -> Job | None:
        """Take the job for a run that started from its ticket (nothing written yet): its
        first attempt, from queued, or already marked running by ``owner``'s lease keeper;
        None if another run took it over."""

    @abc.abstractmethod
    def record_attempt(self, job: Job, attempt: AttemptRecord) -> bool:
        """Save the job's new state and the finished attempt together, and release the lease.
        False if the run no longer holds the attempt (another run took the job over)."""

    @abc.abstractmethod
    def existing(self, job_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """Which of these jobs of the tenant still exist (not deleted by retention)."""

    @abc.abstractmethod
    def list(
        self,
        *,
        status: JobStatus | None,
        job_type: str | None,
        limit: int,
        before: tuple[datetime, uuid.UUID] | None,
    ) -> Sequence[Job]: ...


class OutboxRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, message: OutboxMessage) -> None: ...

    @abc.abstractmethod
    def claim_unpublished(self, limit: int) -> Sequence[OutboxMessage]:
        """Lock up to ``limit`` unpublished messages, oldest first, skipping locked ones."""

    @abc.abstractmethod
    def mark_published(self, ids: Sequence[int], at: datetime) -> None: ...


class IdempotencyKeys(abc.ABC):
    @abc.abstractmethod
    def get(self, key: str, now: datetime) -> IdempotencyRecord | None: ...

    @abc.abstractmethod
    def claim(self, record: IdempotencyRecord, now: datetime) -> None:
        """Store the key; raise KeyAlreadyClaimed if a record live at ``now`` exists."""

    @abc.abstractmethod
    def delete_expired(self, now: datetime, limit: int) -> int:
        """Delete at most ``limit`` keys expired at ``now``; how many were deleted."""


class EffectLedger(abc.ABC):
    @abc.abstractmethod
    def claim(self, job_id: uuid.UUID, effect_key: str, at: datetime) -> bool:
        """Record the effect; False if it was recorded before (so it must not run again)."""

    @abc.abstractmethod
    def release(self, job_id: uuid.UUID, effect_key: str) -> None:
        """Forget a claim whose effect failed, so a later attempt may run it."""


class DeadLetters(abc.ABC):
    @abc.abstractmethod
    def add(self, letter: DeadLetter) -> None: ...

    @abc.abstractmethod
    def get(self, letter_id: uuid.UUID, *, for_update: bool = False) -> DeadLetter | None: ...

    @abc.abstractmethod
    def list(self, *, include_replayed: bool, limit: int) -> Sequence[DeadLetter]: ...

    @abc.abstractmethod
    def mark_replayed(self, letter_id: uuid.UUID, at: datetime) -> None: ...

    @abc.abstractmethod
    def delete_older_than(self, before: datetime, limit: int) -> int:
        """Delete at most ``limit`` letters created before ``before``; how many were deleted."""


class RetiredApiKeys(abc.ABC):
    """The tenant's API keys that no longer authenticate (revoked or expired)."""

    @abc.abstractmethod
    def delete_retired_before(self, before: datetime, limit: int) -> int:
        """Delete at most ``limit`` keys revoked or expired before ``before``; how many."""


class AttemptLog(abc.ABC):
    """Read side of the attempt history (JobRepository.record_attempt writes it)."""

    @abc.abstractmethod
    def for_job(self, job_id: uuid.UUID) -> Sequence[AttemptRecord]: ...


class Transaction(abc.ABC):
    """One database transaction. Rolls back on exit unless ``commit()`` was called."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...


class UnitOfWork(Transaction):
    """A transaction scoped to one tenant, with the repositories it may touch."""

    jobs: JobRepository
    outbox: OutboxRepository
    idempotency: IdempotencyKeys
    effects: EffectLedger
    dead_letters: DeadLetters
    retired_api_keys: RetiredApiKeys
    attempts: AttemptLog
    webhook_endpoints: WebhookEndpoints
    webhook_attempts: WebhookAttempts
    audit: AuditLog
    audit_daily: AuditDailyCounts
    contacts: Contacts
    import_progress: ImportProgressLog
    import_uploads: ImportUploads
    report_rows: ReportRows

    def accept(self, jobs: Sequence[Job], request_id: str | None, now: datetime) -> None:
        """Store newly queued jobs, each with the outbox message that dispatches it. An
        adapter may write them all in one statement."""
        for job in jobs:
            self.jobs.add(job)
            self.outbox.add(OutboxMessage.for_job(job, request_id, now))


class UnitOfWorkFactory(abc.ABC):
    @abc.abstractmethod
    def for_tenant(self, tenant: TenantId) -> UnitOfWork:
        """A unit of work that sees and writes only ``tenant``'s rows."""

    def accept(
        self, tenant: TenantId, jobs: Sequence[Job], request_id: str | None, now: datetime
    ) -> None:
        """Store newly queued jobs of ``tenant`` with their outbox messages and commit: all of
        them or none. An adapter may do it in one round trip to the database."""
        with self.for_tenant(tenant) as uow:
            uow.accept(jobs, request_id, now)
            uow.commit()

    def start_attempt(
        self, tenant: TenantId, job_id: uuid.UUID, now: datetime, owner: str, lease_until: datetime
    ) -> Job | None:
        """JobRepository.start_attempt in a transaction of its own, committed when it started
        the attempt. An adapter may do it in one round trip."""
        with self.for_tenant(tenant) as uow:
            job = uow.jobs.start_attempt(job_id, now, owner, lease_until)
            if job is not None:
                uow.commit()
            return job

    def claim_ticket_run(
        self,
        tenant: TenantId,
        job_id: uuid.UUID,
        started: datetime,
        now: datetime,
        owner: str,
        lease_until: datetime,
    ) -> Job | None:
        """JobRepository.claim_ticket_run in a transaction of its own, committed when it took
        the job. An adapter may do it in one round trip."""
        with self.for_tenant(tenant) as uow:
            job = uow.jobs.claim_ticket_run(job_id, started, now, owner, lease_until)
            if job is not None:
                uow.commit()
            return job

    def record_attempt(self, tenant: TenantId, job: Job, attempt: AttemptRecord) -> bool:
        """JobRepository.record_attempt in a transaction of its own, committed when recorded.
        An adapter may do it in one round trip."""
        with self.for_tenant(tenant) as uow:
            recorded = uow.jobs.record_attempt(job, attempt)
            if recorded:
                uow.commit()
            return recorded

    def record_succeeded(self, runs: Sequence[SucceededRun]) -> int:
        """The outcomes of runs that succeeded, of any tenants, each recorded as by
        ``record_attempt`` and committed; how many were recorded (a run superseded by another
        is not). An adapter may do them all in one round trip."""
        return sum(self.record_attempt(run.tenant, run.job, run.attempt) for run in runs)

    @abc.abstractmethod
    def system(self) -> SystemUnitOfWork:
        """Cross-tenant work: the outbox relay, the scheduler, the reconciler only. Job
        handlers never get this factory, only ``TenantUnits`` of their own tenant."""


class DeferredOutcomes(abc.ABC):
    """Where a worker leaves the outcomes of runs that succeeded, to be stored shortly after
    the run (write-behind). Until then the job stays ``running`` under its lease (or
    ``queued``, for a run started from its ticket): should the worker die first, the lease
    runs out (the queued bound passes) and the reconciler has the job run again."""

    @abc.abstractmethod
    def defer(self, run: SucceededRun) -> None:
        """Take ``run`` to be recorded soon; never blocks on the database."""


class JobIntake(abc.ABC):
    """New jobs accepted from an event loop (the web's submit), which must not block on the
    database: the same all-or-none write as ``UnitOfWorkFactory.accept``, awaited."""

    @abc.abstractmethod
    async def accept(
        self, tenant: TenantId, jobs: Sequence[Job], request_id: str | None, now: datetime
    ) -> None:
        """Store newly queued jobs of ``tenant`` with their outbox messages and commit: all of
        them or none, before returning."""


class Recovery(abc.ABC):
    """Cross-tenant bookkeeping that keeps every accepted job moving: leases and stalls."""

    @abc.abstractmethod
    def renew_leases(self, job_ids: Sequence[uuid.UUID], owner: str, until: datetime) -> int:
        """Extend the leases ``owner`` holds on these running jobs; the number renewed."""

    @abc.abstractmethod
    def mark_ticket_runs(
        self, job_ids: Sequence[uuid.UUID], owner: str, now: datetime, until: datetime
    ) -> int:
        """Mark running, first attempt, under ``owner``'s lease, those of these jobs still
        queued with no attempt (runs started from their tickets); the number marked."""

    @abc.abstractmethod
    def find_stalled(
        self, now: datetime, bounds: StallBounds, broker_lost: bool, limit: int
    ) -> Sequence[StalledJob]:
        """Lock up to ``limit`` in-flight jobs that made no progress within ``bounds`` (all
        in-flight jobs not held by a live lease when ``broker_lost``), skipping locked ones."""

    @abc.abstractmethod
    def mark_redispatched(self, job_ids: Sequence[uuid.UUID], now: datetime) -> None: ...


class JobHistory(abc.ABC):
    """Finished jobs past their retention, across tenants: the sweep that bounds the tables."""

    @abc.abstractmethod
    def delete_finished(
        self,
        before: datetime,
        limit: int,
        *,
        tenant: TenantId | None = None,
        excluding: Sequence[TenantId] = (),
    ) -> int:
        """Delete up to ``limit`` jobs that finished (succeeded, failed, dead) before
        ``before``, oldest first, with every row that refers to them; skips rows another
        transaction holds. Only ``tenant``'s jobs when given; never those of the tenants in
        ``excluding``. The number of jobs deleted."""

    @abc.abstractmethod
    def retention_overrides(self) -> Mapping[TenantId, int]:
        """The tenants with a job retention of their own, in days."""


class SystemUnitOfWork(Transaction):
    """A cross-tenant transaction: the outbox relay, the scheduler, the reconciler, rejected
    messages, the retention sweep."""

    outbox: OutboxRepository
    recovery: Recovery
    history: JobHistory

    @abc.abstractmethod
    def tenant_ids(self) -> Sequence[TenantId]: ...

    @abc.abstractmethod
    def record_rejected(self, message: RejectedMessage) -> None: ...


class Publisher(abc.ABC):
    @abc.abstractmethod
    def publish(self, message: OutboxMessage) -> None:
        """Hand the message to the broker; raise PublishError when it cannot."""

    def publish_batch(self, messages: Sequence[OutboxMessage]) -> PublishedBatch:
        """Hand the messages to the broker in order: how many of the first ones it surely
        took (all of them unless it failed) and the failure. One at a time here; an adapter
        that sends them together (one round trip) overrides this, and then reports none taken
        on a failure, even if the broker took some of them."""
        for taken, message in enumerate(messages):
            try:
                self.publish(message)
            except PublishError as exc:
                return PublishedBatch(taken, exc)
        return PublishedBatch(len(messages), None)


@dataclass(frozen=True, slots=True)
class PublishedBatch:
    taken: int
    error: PublishError | None


class BrokerMarker(abc.ABC):
    """A marker kept in the broker: when it is gone, the broker lost its data (a restart
    without persistence, a failover to an empty replica, a flush) and with it every message."""

    @abc.abstractmethod
    def lost_since_last_check(self) -> bool | None:
        """Set the marker; True if it was missing (the broker's messages are gone), None if
        the broker cannot be reached (nothing can be said)."""


class EventSink(abc.ABC):
    """Tenant-scoped notifications a job emits (the diagnostic job's observable effect)."""

    @abc.abstractmethod
    def emit(self, tenant_id: TenantId, name: str, data: dict[str, Any]) -> None: ...


class Clock(abc.ABC):
    @abc.abstractmethod
    def now(self) -> datetime: ...
