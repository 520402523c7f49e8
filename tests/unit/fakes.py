"""In-memory ports for unit tests of the use cases (no I/O)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from jobplatform.application import ports
from jobplatform.application.records import (
    AttemptRecord,
    DeadLetter,
    IdempotencyRecord,
    OutboxMessage,
)
from jobplatform.domain.job import Job
from jobplatform.domain.job_status import STARTABLE, JobStatus
from jobplatform.domain.tenant import TenantId


class FakeClock(ports.Clock):
    def __init__(self) -> None:
        self.t = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        self.t += timedelta(milliseconds=1)
        return self.t


class Store:
    def __init__(self) -> None:
        self.jobs: dict[uuid.UUID, Job] = {}
        self.outbox: list[OutboxMessage] = []
        self.keys: dict[tuple[TenantId, str], IdempotencyRecord] = {}
        self.effects: set[tuple[TenantId, uuid.UUID, str]] = set()
        self.letters: dict[uuid.UUID, DeadLetter] = {}
        self.attempts: list[AttemptRecord] = []
        self.commits = 0


class FakeUow(ports.UnitOfWork):
    def __init__(self, store: Store, tenant: TenantId):
        s, t = store, tenant
        self.store = store
        pending: list[Any] = []
        self._pending = pending

        class Jobs(ports.JobRepository):
            def add(self, job: Job) -> None:
                pending.append(lambda: s.jobs.__setitem__(job.id, replace(job)))

            def existing(self, job_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
                return {i for i in job_ids if i in s.jobs and s.jobs[i].tenant_id == t}

            def get(self, job_id: uuid.UUID, *, for_update: bool = False) -> Job | None:
                job = s.jobs.get(job_id)
                return replace(job) if job and job.tenant_id == t else None

            def save(self, job: Job) -> None:
                pending.append(lambda: s.jobs.__setitem__(job.id, replace(job)))

            def record_attempt(self, job: Job, attempt: AttemptRecord) -> bool:
                held = self.get(job.id)
                if held is None or held.status is not JobStatus.RUNNING:
                    return False
                if held.attempts != attempt.attempt:
                    return False
                job.lease_owner = job.lease_expires_at = None
                self.save(job)
                pending.append(lambda: s.attempts.append(attempt))
                return True

            def start_attempt(
                self, job_id: uuid.UUID, now: datetime, owner: str, lease_until: datetime
            ) -> Job | None:
                job = self.get(job_id)
                if job is None:
                    return None
                leased = job.lease_expires_at is not None and job.lease_expires_at >= now
                if job.status not in STARTABLE and not (
                    job.status is JobStatus.RUNNING and not leased
                ):
                    return None
                job.attempts += 1
                job.status = JobStatus.RUNNING
                job.started_at = job.started_at or now
                job.updated_at = now
                job.lease_owner, job.lease_expires_at = owner, lease_until
                self.save(job)
                return job

            def claim_ticket_run(
                self,
                job_id: uuid.UUID,
                started: datetime,
                now: datetime,
                owner: str,
                lease_until: datetime,
            ) -> Job | None:
                job = self.get(job_id)
                if job is None:
                    return None
                fresh = job.status is JobStatus.QUEUED and job.attempts == 0
                marked = (
                    job.status is JobStatus.RUNNING
                    and job.attempts == 1
                    and job.lease_owner == owner
                )
                if not (fresh or marked):
                    return None
                job.attempts, job.status = 1, JobStatus.RUNNING
                job.started_at = job.started_at or started
                job.updated_at = now
                job.lease_owner, job.lease_expires_at = owner, lease_until
                self.save(job)
                return job

            def list(self, **_: Any) -> Sequence[Job]:
                return [j for j in s.jobs.values() if j.tenant_id == t]

        class Outbox(ports.OutboxRepository):
            def add(self, message: OutboxMessage) -> None:
                pending.append(lambda: s.outbox.append(message))

            def claim_unpublished(self, limit: int) -> Sequence[OutboxMessage]:
                return []

            def mark_published(self, ids: Sequence[int], at: datetime) -> None: ...

        class Keys(ports.IdempotencyKeys):
            def get(self, key: str, now: datetime) -> IdempotencyRecord | None:
                r = s.keys.get((t, key))
                return r if r and r.expires_at > now else None

            def claim(self, record: IdempotencyRecord, now: datetime) -> None:
                if self.get(record.key, now):
                    raise ports.KeyAlreadyClaimed(record.key)
                pending.append(lambda: s.keys.__setitem__((t, record.key), record))

            def delete_expired(self, now: datetime, limit: int) -> int:
                return 0

        class Ledger(ports.EffectLedger):
            def claim(self, job_id: uuid.UUID, effect_key: str, at: datetime) -> bool:
                if (t, job_id, effect_key) in s.effects:
                    return False
                pending.append(lambda: s.effects.add((t, job_id, effect_key)))
                return True

            def release(self, job_id: uuid.UUID, effect_key: str) -> None:
                pending.append(lambda: s.effects.discard((t, job_id, effect_key)))

        class Letters(ports.DeadLetters):
            def add(self, letter: DeadLetter) -> None:
                pending.append(lambda: s.letters.__setitem__(letter.id, letter))

            def get(self, letter_id: uuid.UUID, *, for_update: bool = False) -> DeadLetter | None:
                x = s.letters.get(letter_id)
                return x if x and x.tenant_id == t else None

            def list(self, *, include_replayed: bool, limit: int) -> Sequence[DeadLetter]:
                return [x for x in s.letters.values() if x.tenant_id == t]

            def mark_replayed(self, letter_id: uuid.UUID, at: datetime) -> None:
                pending.append(
                    lambda: s.letters.__setitem__(
                        letter_id, replace(s.letters[letter_id], replayed_at=at)
                    )
                )

            def delete_older_than(self, before: datetime, limit: int) -> int:
                return 0

        class Attempts(ports.AttemptLog):
            def for_job(self, job_id: uuid.UUID) -> Sequence[AttemptRecord]:
                return [a for a in s.attempts if a.job_id == job_id]

        self.jobs, self.outbox, self.idempotency = Jobs(), Outbox(), Keys()
        self.effects, self.dead_letters, self.attempts = Ledger(), Letters(), Attempts()

    def commit(self) -> None:
        for apply in self._pending:
            apply()
        self._pending.clear()
        self.store.commits += 1

    def rollback(self) -> None:
        self._pending.clear()


class FakeUowFactory(ports.UnitOfWorkFactory):
    def __init__(self) -> None:
        self.store = Store()
        # The tenant of every unit of work a use case opened: what the code under test asked
        # for, as opposed to what the fake's own filters hide.
        self.opened_for: list[TenantId] = []

    def for_tenant(self, tenant: TenantId) -> FakeUow:
        self.opened_for.append(tenant)
        return FakeUow(self.store, tenant)

    def system(self) -> ports.SystemUnitOfWork:
        raise NotImplementedError


class FakeEvents(ports.EventSink):
    def __init__(self) -> None:
        self.emitted: list[tuple[TenantId, str, dict[str, Any]]] = []

    def emit(self, tenant_id: TenantId, name: str, data: dict[str, Any]) -> None:
        self.emitted.append((tenant_id, name, data))
