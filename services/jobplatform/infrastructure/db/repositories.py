"""SQLAlchemy implementations of the repository ports. Each runs inside one transaction
whose tenant (or system scope) the unit of work set; row-level security enforces it again."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, delete, insert, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from jobplatform.application import ports
from jobplatform.application.records import (
    AttemptRecord,
    DeadLetter,
    IdempotencyRecord,
    OutboxMessage,
)
from jobplatform.domain.job import Job
from jobplatform.domain.job_status import JobStatus
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.db import hot_path, mapping
from jobplatform.infrastructure.db import tables as t

_NO_SORT = text("SELECT set_config('enable_sort', 'off', true)")
_SORT = text("SELECT set_config('enable_sort', 'on', true)")


class SqlJobs(ports.JobRepository):
    def __init__(self, conn: Connection, tenant: TenantId):
        self._c, self._tenant = conn, tenant.value

    def add(self, job: Job) -> None:
        if job.tenant_id.value != self._tenant:
            raise PermissionError("job belongs to another tenant")
        self._c.execute(insert(t.jobs).values(mapping.job_to_values(job)))

    def existing(self, job_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        if not job_ids:
            return set()
        q = select(t.jobs.c.id).where(
            t.jobs.c.tenant_id == self._tenant, t.jobs.c.id.in_(list(job_ids))
        )
        return {row.id for row in self._c.execute(q)}

    def get(self, job_id: uuid.UUID, *, for_update: bool = False) -> Job | None:
        q = select(t.jobs).where(t.jobs.c.id == job_id, t.jobs.c.tenant_id == self._tenant)
        row = self._c.execute(q.with_for_update() if for_update else q).first()
        return None if row is None else mapping.job_from_row(row)

    def save(self, job: Job) -> None:
        values = mapping.job_to_values(job)
        self._c.execute(
            update(t.jobs)
            .where(t.jobs.c.id == job.id, t.jobs.c.tenant_id == self._tenant)
            .values(values)
        )

    def start_attempt(
        self, job_id: uuid.UUID, now: datetime, owner: str, lease_until: datetime
    ) -> Job | None:
        row = self._c.execute(
            hot_path.START_ATTEMPT,
            {
                "id": job_id,
                "tenant": self._tenant,
                "now": now,
                "owner": owner,
                "lease_until": lease_until,
            },
        ).first()
        return None if row is None else mapping.job_from_row(row)

    def claim_ticket_run(
        self, job_id: uuid.UUID, started: datetime, now: datetime, owner: str, lease_until: datetime
    ) -> Job | None:
        params = ticket_claim_params(job_id, self._tenant, started, now, owner, lease_until)
        row = self._c.execute(hot_path.CLAIM_TICKET_RUN, params).first()
        return None if row is None else mapping.job_from_row(row)

    def record_attempt(self, job: Job, attempt: AttemptRecord) -> bool:
        params = record_attempt_params(job, self._tenant, attempt)
        recorded = self._c.execute(hot_path.RECORD_ATTEMPT, params).scalar_one()
        return bool(recorded)

    def list(
        self,
        *,
        status: JobStatus | None,
        job_type: str | None,
        limit: int,
        before: tuple[datetime, uuid.UUID] | None,
    ) -> Sequence[Job]:
        q = select(t.jobs).where(t.jobs.c.tenant_id == self._tenant)
        if status is not None:
            q = q.where(t.jobs.c.status == status.value)
        if job_type is not None:
            q = q.where(t.jobs.c.type == job_type)
        if before is not None:
            q = q.where(tuple_(t.jobs.c.created_at, t.jobs.c.id) < tuple_(*before))
        q = q.order_by(t.jobs.c.created_at.desc(), t.jobs.c.id.desc()).limit(limit)
        # The planner counts the tenant twice (this condition and the row-level security
        # policy's), so it expects a handful of rows and would fetch all of the tenant's jobs
        # to sort them: a page would cost as much as the tenant's whole history. A page is
        # read in the order of an index that ends in (created_at, id) instead, stopped at the
        # limit; the setting holds for this statement only.
        self._c.execute(_NO_SORT)
        rows = self._c.execute(q).all()
        self._c.execute(_SORT)
        return [mapping.job_from_row(r) for r in rows]


def record_attempt_params(job: Job, tenant: uuid.UUID, attempt: AttemptRecord) -> dict[str, Any]:
    return {
        "id": job.id,
        "tenant": tenant,
        "status": job.status.value,
        "error_class": job.error_class,
        "now": job.updated_at,
        "finished_at": job.finished_at,
        "next_attempt_at": job.next_attempt_at,
        "attempt": attempt.attempt,
        "started": attempt.started_at,
        "ended": attempt.finished_at,
        "outcome": attempt.outcome,
        "retry_delay": attempt.retry_delay,
    }


def ticket_claim_params(
    job_id: uuid.UUID,
    tenant: uuid.UUID,
    started: datetime,
    now: datetime,
    owner: str,
    lease_until: datetime,
) -> dict[str, Any]:
    return {"id": job_id, "tenant": tenant, "started": started, "now": now, "owner": owner,
            "lease_until": lease_until}  # fmt: skip


class SqlOutbox(ports.OutboxRepository):
    def __init__(self, conn: Connection):
        self._c = conn

    def add(self, message: OutboxMessage) -> None:
        self._c.execute(
            insert(t.outbox).values(
                job_id=message.job_id,
                tenant_id=message.tenant_id.value,
                job_type=message.job_type,
                queue=message.queue,
                request_id=message.request_id,
                created_at=message.created_at,
                not_before=message.not_before,
            )
        )

    def claim_unpublished(self, limit: int) -> Sequence[OutboxMessage]:
        j = t.jobs
        # A message of a job never run nor re-published carries what its first delivery may
        # run from (the payload, the dispatch time); any other, only the job's id.
        first = and_(
            j.c.status == JobStatus.QUEUED.value,
            j.c.attempts == 0,
            j.c.redispatches == 0,
            t.outbox.c.not_before.is_(None),
        )
        q = (
            select(
                t.outbox,
                case((first, j.c.payload), else_=None).label("first_payload"),
                j.c.dispatched_at.label("first_dispatched_at"),
            )
            .select_from(t.outbox.outerjoin(j, j.c.id == t.outbox.c.job_id))
            .where(t.outbox.c.published_at.is_(None))
            .order_by(t.outbox.c.id)
            .limit(limit)
            .with_for_update(of=t.outbox, skip_locked=True)
        )
        return [mapping.outbox_from_row(r) for r in self._c.execute(q)]

    def mark_published(self, ids: Sequence[int], at: datetime) -> None:
        self._c.execute(update(t.outbox).where(t.outbox.c.id.in_(ids)).values(published_at=at))


class SqlIdempotencyKeys(ports.IdempotencyKeys):
    def __init__(self, conn: Connection, tenant: TenantId):
        self._c, self._tenant = conn, tenant.value

    def get(self, key: str, now: datetime) -> IdempotencyRecord | None:
        row = self._c.execute(
            select(t.idempotency_keys).where(
                t.idempotency_keys.c.tenant_id == self._tenant,
                t.idempotency_keys.c.key == key,
                t.idempotency_keys.c.expires_at > now,
            )
        ).first()
        if row is None:
            return None
        m = row._mapping
        return IdempotencyRecord(
            key=m["key"],
            fingerprint=m["fingerprint"],
            job_id=m["job_id"],
            expires_at=m["expires_at"],
        )

    def claim(self, record: IdempotencyRecord, now: datetime) -> None:
        # An expired record under the same key is replaced; a live one wins the race.
        insert_stmt = pg_insert(t.idempotency_keys).values(
            tenant_id=self._tenant,
            key=record.key,
            fingerprint=record.fingerprint,
            job_id=record.job_id,
            expires_at=record.expires_at,
        )
        stmt = insert_stmt.on_conflict_do_update(
            index_elements=["tenant_id", "key"],
            set_={
                "fingerprint": insert_stmt.excluded.fingerprint,
                "job_id": insert_stmt.excluded.job_id,
                "expires_at": insert_stmt.excluded.expires_at,
            },
            where=t.idempotency_keys.c.expires_at <= now,
        ).returning(t.idempotency_keys.c.key)
        try:
            with self._c.begin_nested():
                claimed = self._c.execute(stmt).first()
        except IntegrityError as exc:
            raise ports.KeyAlreadyClaimed(record.key) from exc
        if claimed is None:  # a live record under this key: the other request won
            raise ports.KeyAlreadyClaimed(record.key)

    def delete_expired(self, now: datetime, limit: int) -> int:
        k = t.idempotency_keys.c
        # A batch at a time: one statement never holds a tenant's whole backlog of keys.
        batch = (
            select(k.key)
            .where(k.tenant_id == self._tenant, k.expires_at <= now)
            .limit(limit)
            .scalar_subquery()
        )
        result = self._c.execute(
            delete(t.idempotency_keys).where(k.tenant_id == self._tenant, k.key.in_(batch))
        )
        return int(result.rowcount or 0)


class SqlEffectLedger(ports.EffectLedger):
    def __init__(self, conn: Connection, tenant: TenantId):
        self._c, self._tenant = conn, tenant.value

    def claim(self, job_id: uuid.UUID, effect_key: str, at: datetime) -> bool:
        stmt = (
            pg_insert(t.effect_ledger)
            .values(
                tenant_id=self._tenant,
                job_id=job_id,
                effect_key=effect_key,
                claimed_at=at,
            )
            .on_conflict_do_nothing()
            .returning(t.effect_ledger.c.effect_key)
        )
        # RETURNING, not rowcount: the driver reports -1 for INSERT ... ON CONFLICT.
        return self._c.execute(stmt).first() is not None

    def release(self, job_id: uuid.UUID, effect_key: str) -> None:
        e = t.effect_ledger.c
        self._c.execute(
            delete(t.effect_ledger).where(
                e.tenant_id == self._tenant, e.job_id == job_id, e.effect_key == effect_key
            )
        )


class SqlDeadLetters(ports.DeadLetters):
    def __init__(self, conn: Connection, tenant: TenantId):
        self._c, self._tenant = conn, tenant.value

    def add(self, letter: DeadLetter) -> None:
        self._c.execute(
            insert(t.dead_letters).values(
                id=letter.id,
                tenant_id=letter.tenant_id.value,
                job_id=letter.job_id,
                job_type=letter.job_type,
                reason=letter.reason,
                attempts=letter.attempts,
                error_class=letter.error_class,
                created_at=letter.created_at,
            )
        )

    def get(self, letter_id: uuid.UUID, *, for_update: bool = False) -> DeadLetter | None:
        q = select(t.dead_letters).where(
            t.dead_letters.c.id == letter_id, t.dead_letters.c.tenant_id == self._tenant
        )
        row = self._c.execute(q.with_for_update() if for_update else q).first()
        return None if row is None else mapping.dead_letter_from_row(row)

    def list(self, *, include_replayed: bool, limit: int) -> Sequence[DeadLetter]:
        q = select(t.dead_letters).where(t.dead_letters.c.tenant_id == self._tenant)
        if not include_replayed:
            q = q.where(t.dead_letters.c.replayed_at.is_(None))
        q = q.order_by(t.dead_letters.c.created_at.desc()).limit(limit)
        return [mapping.dead_letter_from_row(r) for r in self._c.execute(q)]

    def mark_replayed(self, letter_id: uuid.UUID, at: datetime) -> None:
        self._c.execute(
            update(t.dead_letters)
            .where(
                t.dead_letters.c.id == letter_id,
                t.dead_letters.c.tenant_id == self._tenant,
            )
            .values(replayed_at=at)
        )

    def delete_older_than(self, before: datetime, limit: int) -> int:
        d = t.dead_letters.c
        batch = (
            select(d.id)
            .where(d.tenant_id == self._tenant, d.created_at < before)
            .order_by(d.created_at)
            .limit(limit)
            .scalar_subquery()
        )
        result = self._c.execute(
            delete(t.dead_letters).where(d.tenant_id == self._tenant, d.id.in_(batch))
        )
        return int(result.rowcount or 0)


class SqlAttemptLog(ports.AttemptLog):
    def __init__(self, conn: Connection, tenant: TenantId):
        self._c, self._tenant = conn, tenant.value

    def for_job(self, job_id: uuid.UUID) -> Sequence[AttemptRecord]:
        q = (
            select(t.job_attempts)
            .where(
                and_(t.job_attempts.c.job_id == job_id, t.job_attempts.c.tenant_id == self._tenant)
            )
            .order_by(t.job_attempts.c.attempt)
        )
        return [mapping.attempt_from_row(r) for r in self._c.execute(q)]
