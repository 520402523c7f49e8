"""Interfaces the application needs from the outside world; infrastructure implements them."""

from __future__ import annotations

import abc
import uuid
from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from jobplatform.application.records import (
    AttemptRecord,
    DeadLetter,
    IdempotencyRecord,
    OutboxMessage,
    RejectedMessage,
)
from jobplatform.domain.job import Job
from jobplatform.domain.job_status import JobStatus
from jobplatform.domain.tenant import TenantId


class KeyAlreadyClaimed(Exception):
    """Another request claimed the same idempotency key first (a concurrent duplicate)."""


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
        self, job_id: uuid.UUID, runnable: frozenset[JobStatus], now: datetime
    ) -> Job | None:
        """Atomically move a runnable job to running with one more attempt; None if the job
        is not in scope or not in one of the ``runnable`` states."""

    @abc.abstractmethod
    def record_attempt(self, job: Job, attempt: AttemptRecord) -> None:
        """Save the job's new state and the finished attempt together."""

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
    def delete_expired(self, now: datetime) -> int: ...


class EffectLedger(abc.ABC):
    @abc.abstractmethod
    def claim(self, job_id: uuid.UUID, effect_key: str, at: datetime) -> bool:
        """Record the effect; False if it was recorded before (so it must not run again)."""


class DeadLetters(abc.ABC):
    @abc.abstractmethod
    def add(self, letter: DeadLetter) -> None: ...

    @abc.abstractmethod
    def get(self, letter_id: uuid.UUID, *, for_update: bool = False) -> DeadLetter | None: ...

    @abc.abstractmethod
    def list(self, *, include_replayed: bool, limit: int) -> Sequence[DeadLetter]: ...

    @abc.abstractmethod
    def mark_replayed(self, letter_id: uuid.UUID, at: datetime) -> None: ...


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
    attempts: AttemptLog


class UnitOfWorkFactory(abc.ABC):
    @abc.abstractmethod
    def for_current_tenant(self) -> UnitOfWork:
        """A unit of work scoped to the bound tenant context; fails without one."""

    @abc.abstractmethod
    def system(self) -> SystemUnitOfWork:
        """Cross-tenant work: the outbox relay and the scheduler only."""


class SystemUnitOfWork(Transaction):
    """A cross-tenant transaction: the outbox relay, the scheduler, rejected messages."""

    outbox: OutboxRepository

    @abc.abstractmethod
    def tenant_ids(self) -> Sequence[TenantId]: ...

    @abc.abstractmethod
    def record_rejected(self, message: RejectedMessage) -> None: ...


class Publisher(abc.ABC):
    @abc.abstractmethod
    def publish(self, message: OutboxMessage) -> None:
        """Hand the message to the broker; raise PublishError when it cannot."""


class EventSink(abc.ABC):
    """Tenant-scoped notifications a job emits (the diagnostic job's observable effect)."""

    @abc.abstractmethod
    def emit(self, tenant_id: TenantId, name: str, data: dict[str, Any]) -> None: ...


class Clock(abc.ABC):
    @abc.abstractmethod
    def now(self) -> datetime: ...
