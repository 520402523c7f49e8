"""Units of work on SQLAlchemy: one connection, one transaction, the tenant set on it."""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row
from sqlalchemy import Connection, Engine, TextClause, insert, select, text

from jobplatform.application import ports
from jobplatform.application.ports import StoreUnavailable
from jobplatform.application.records import AttemptRecord, RejectedMessage, SucceededRun
from jobplatform.domain.job import Job
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.db import hot_path, mapping
from jobplatform.infrastructure.db import repositories as repo
from jobplatform.infrastructure.db import tables as t
from jobplatform.infrastructure.db.accept_statement import (
    SET_TENANT,
    accept_params,
    accepts_as_new,
)
from jobplatform.infrastructure.db.api_key_repository import SqlRetiredApiKeys
from jobplatform.infrastructure.db.audit_daily_repository import SqlAuditDailyCounts
from jobplatform.infrastructure.db.audit_repository import SqlAuditLog
from jobplatform.infrastructure.db.history import SqlJobHistory
from jobplatform.infrastructure.db.import_repositories import (
    SqlContacts,
    SqlImportProgress,
    SqlImportUploads,
)
from jobplatform.infrastructure.db.recovery import SqlRecovery
from jobplatform.infrastructure.db.report_rows import SqlReportRows
from jobplatform.infrastructure.db.webhook_repositories import (
    SqlWebhookAttempts,
    SqlWebhookEndpoints,
)

_SET_SYSTEM = text("SELECT set_config('jobplatform.scope', 'system', true)")
# What a piece of work on an autocommit connection returns.
_T = TypeVar("_T")


class _SqlTransaction:
    """A pooled connection with one open transaction; closing returns it to the pool."""

    def __init__(self, engine: Engine, scope: TextClause, params: dict[str, Any]):
        # A pooled connection can be dead without the pool knowing (the server restarted).
        # The scope statement is the first on the connection: if it finds the connection
        # gone, SQLAlchemy invalidates the pool and one more try gets a fresh connection.
        for attempt in (1, 2):
            self._conn: Connection = engine.connect()
            self._tx = self._conn.begin()
            try:
                self._conn.execute(scope, params)
                return
            except StoreUnavailable as exc:
                self._conn.close()
                if attempt == 2 or not exc.connection_invalidated:
                    raise

    def commit(self) -> None:
        self._tx.commit()
        self._conn.close()

    def rollback(self) -> None:
        if self._tx.is_active:
            self._tx.rollback()
        self._conn.close()


class SqlUnitOfWork(_SqlTransaction, ports.UnitOfWork):
    def __init__(self, engine: Engine, tenant: TenantId):
        # Transaction-local: row-level security sees only this tenant until commit/rollback.
        super().__init__(engine, SET_TENANT, {"tenant": str(tenant)})
        self.jobs = repo.SqlJobs(self._conn, tenant)
        self.outbox = repo.SqlOutbox(self._conn)
        self.idempotency = repo.SqlIdempotencyKeys(self._conn, tenant)
        self.effects = repo.SqlEffectLedger(self._conn, tenant)
        self.dead_letters = repo.SqlDeadLetters(self._conn, tenant)
        self.retired_api_keys = SqlRetiredApiKeys(self._conn, tenant)
        self.attempts = repo.SqlAttemptLog(self._conn, tenant)
        self.webhook_endpoints = SqlWebhookEndpoints(self._conn, tenant)
        self.webhook_attempts = SqlWebhookAttempts(self._conn, tenant)
        self.audit = SqlAuditLog(self._conn, tenant)
        self.audit_daily = SqlAuditDailyCounts(self._conn, tenant)
        self.contacts = SqlContacts(self._conn, tenant)
        self.import_progress = SqlImportProgress(self._conn, tenant)
        self.import_uploads = SqlImportUploads(self._conn, tenant)
        self.report_rows = SqlReportRows(self._conn, tenant)
        self._tenant = tenant

    def accept(self, jobs: Sequence[Job], request_id: str | None, now: datetime) -> None:
        if not jobs or not accepts_as_new(jobs, self._tenant, request_id, now):
            super().accept(jobs, request_id, now)  # not what the one statement writes
            return
        params = accept_params(jobs, self._tenant, request_id, now)
        self._conn.execute(hot_path.ACCEPT_JOBS, params)


class SqlSystemUnitOfWork(_SqlTransaction, ports.SystemUnitOfWork):
    def __init__(self, engine: Engine):
        super().__init__(engine, _SET_SYSTEM, {})
        self.outbox = repo.SqlOutbox(self._conn)
        self.recovery = SqlRecovery(self._conn)
        self.history = SqlJobHistory(self._conn)

    def tenant_ids(self) -> Sequence[TenantId]:
        return [TenantId(r[0]) for r in self._conn.execute(select(t.tenants.c.id))]

    def record_rejected(self, message: RejectedMessage) -> None:
        self._conn.execute(
            insert(t.rejected_messages).values(
                task_name=message.task_name,
                job_id=message.job_id,
                reason=message.reason,
                headers=message.headers,
                created_at=datetime.now(UTC),
            )
        )


class SqlUnitOfWorkFactory(ports.UnitOfWorkFactory):
    def __init__(self, engine: Engine, hold_connections: bool = False):
        self.engine = engine
        # With hold_connections (a worker's pool process), each thread keeps one pooled
        # connection in autocommit mode for the one-round-trip statements: checking one out and
        # back in per statement cost about as much of the worker's Python time as the statement
        # (SQLAlchemy sets and resets its isolation level each time).
        self._held = threading.local() if hold_connections else None
        # The driver's own text of the statements the one-round-trip accept sends.
        self._set_tenant_sql = str(SET_TENANT.compile(dialect=engine.dialect))
        self._accept_sql = str(hot_path.ACCEPT_JOBS.compile(dialect=engine.dialect))
        self._start_sql = str(hot_path.START_ATTEMPT.compile(dialect=engine.dialect))
        self._record_sql = str(hot_path.RECORD_ATTEMPT.compile(dialect=engine.dialect))
        self._succeeded_sql = str(hot_path.RECORD_SUCCEEDED.compile(dialect=engine.dialect))
        self._ticket_claim_sql = str(hot_path.CLAIM_TICKET_RUN.compile(dialect=engine.dialect))

    def for_tenant(self, tenant: TenantId) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, tenant)

    def system(self) -> SqlSystemUnitOfWork:
        return SqlSystemUnitOfWork(self.engine)

    def accept(
        self, tenant: TenantId, jobs: Sequence[Job], request_id: str | None, now: datetime
    ) -> None:
        """One round trip: the tenant, the inserts and the commit go out as one pipeline.

        In autocommit mode the statements of a pipeline up to its sync run as one implicit
        transaction: if any fails, none is committed (and the transaction-local tenant setting
        ends with it).
        """
        if not jobs or not accepts_as_new(jobs, tenant, request_id, now):
            super().accept(tenant, jobs, request_id, now)
            return
        try:
            self._one_round_trip(
                tenant, self._accept_sql, accept_params(jobs, tenant, request_id, now)
            )
        except psycopg.errors.UniqueViolation:
            # Only a retry can meet these ids (random, fresh, this call's own): the first
            # try's commit went through before its connection broke, so they are stored.
            return

    def start_attempt(
        self, tenant: TenantId, job_id: uuid.UUID, now: datetime, owner: str, lease_until: datetime
    ) -> Job | None:
        # One statement that binds the tenant itself (see hot_path.START_ATTEMPT). Retried on
        # a dropped connection: if the first try committed after all, the job is running under
        # this owner's lease, this call sees no startable job (None, the message is dropped as
        # a duplicate) and the reconciler re-publishes the job when the lease runs out.
        # Nothing is lost; the job starts once more.
        params = {"id": job_id, "tenant": tenant.value, "now": now, "owner": owner,
                  "lease_until": lease_until}  # fmt: skip
        row = self._autocommit(lambda pg: _first_row(pg, self._start_sql, params))
        return None if row is None else mapping.job_from_mapping(row)

    def claim_ticket_run(
        self,
        tenant: TenantId,
        job_id: uuid.UUID,
        started: datetime,
        now: datetime,
        owner: str,
        lease_until: datetime,
    ) -> Job | None:
        # Retried on a dropped connection: if the first try committed after all, the job is
        # running, first attempt, under this owner, which the statement takes again.
        params = repo.ticket_claim_params(job_id, tenant.value, started, now, owner, lease_until)
        row = self._one_round_trip(tenant, self._ticket_claim_sql, params)
        return None if row is None else mapping.job_from_mapping(row)

    def record_attempt(self, tenant: TenantId, job: Job, attempt: AttemptRecord) -> bool:
        # Retried on a dropped connection: if the first try committed after all, the retry
        # records nothing (False, as for a run that was superseded); the outcome is stored.
        row = self._one_round_trip(
            tenant, self._record_sql, repo.record_attempt_params(job, tenant.value, attempt)
        )
        return bool(row and row["recorded"])

    def record_succeeded(self, runs: Sequence[SucceededRun]) -> int:
        """One round trip for them all: per tenant, its setting and one statement with the
        tenant's runs, the whole pipeline one implicit transaction. Retried on a dropped
        connection like ``record_attempt``: a retry after a commit records nothing more."""
        by_tenant: dict[TenantId, list[SucceededRun]] = defaultdict(list)
        for run in runs:
            by_tenant[run.tenant].append(run)
        steps = [
            (tenant, self._succeeded_sql, succeeded_params(tenant, group))
            for tenant, group in by_tenant.items()
        ]
        return sum(row["recorded"] for row in self._round_trip(steps) if row is not None)

    def _one_round_trip(
        self, tenant: TenantId, sql: str, params: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The tenant setting and one statement in one round trip; the statement's first row,
        if any."""
        return self._round_trip([(tenant, sql, params)])[0]

    def _round_trip(
        self, steps: Sequence[tuple[TenantId, str, dict[str, Any]]]
    ) -> list[dict[str, Any] | None]:
        """Each step's tenant setting and statement, all as one pipeline on an autocommit
        connection: they run as one implicit transaction, committed at the pipeline's sync, in
        one round trip. Each statement's first row, if any."""

        def pipeline(pg: psycopg.Connection[Any]) -> list[dict[str, Any] | None]:
            cursors = []
            with pg.pipeline():
                for tenant, sql, params in steps:
                    pg.execute(self._set_tenant_sql, {"tenant": str(tenant)})
                    cur = pg.cursor(row_factory=dict_row)
                    cur.execute(sql, params)
                    cursors.append(cur)
            return [c.fetchone() if c.description is not None else None for c in cursors]

        return self._autocommit(pipeline)

    def _autocommit(self, work: Callable[[psycopg.Connection[Any]], _T]) -> _T:
        """``work`` on a connection in autocommit mode: this thread's held one, or a pooled
        one checked out for it. A connection the server dropped is replaced once, as a unit of
        work does."""
        for attempt in (1, 2):
            with self._connection() as (pg, discard):
                try:
                    return work(pg)
                except psycopg.OperationalError as exc:
                    # The connection is unusable (the server dropped it or went away).
                    dropped = pg.broken or pg.closed
                    discard()
                    if attempt == 2 or not dropped:
                        raise StoreUnavailable(
                            type(exc).__name__, connection_invalidated=dropped
                        ) from None
                except BaseException:
                    if pg.info.transaction_status != TransactionStatus.IDLE:
                        discard()  # left inside a transaction: not reusable as it is
                    raise
        raise AssertionError("unreachable")

    @contextmanager
    def _connection(
        self,
    ) -> Iterator[tuple[psycopg.Connection[Any], Callable[[], None]]]:
        """A connection in autocommit mode, and how to drop it from the pool."""
        if self._held is None:
            with self.engine.connect() as conn:
                driver = conn.execution_options(isolation_level="AUTOCOMMIT").connection
                yield cast(psycopg.Connection[Any], driver.driver_connection), conn.invalidate
            return
        held = self._held
        fairy = getattr(held, "fairy", None)
        if fairy is None:
            fairy = self.engine.raw_connection()
            cast(psycopg.Connection[Any], fairy.driver_connection).autocommit = True
            held.fairy = fairy

        def discard() -> None:
            fairy.invalidate()
            held.fairy = None

        yield cast(psycopg.Connection[Any], fairy.driver_connection), discard


def _first_row(
    pg: psycopg.Connection[Any], sql: str, params: dict[str, Any]
) -> dict[str, Any] | None:
    cur = pg.cursor(row_factory=dict_row)
    cur.execute(sql, params)
    return cur.fetchone()


def succeeded_params(tenant: TenantId, runs: Sequence[SucceededRun]) -> dict[str, Any]:
    return {
        "tenant": tenant.value,
        "ids": [run.job.id for run in runs],
        "attempts": [run.attempt.attempt for run in runs],
        "started": [run.attempt.started_at for run in runs],
        "ended": [run.attempt.finished_at for run in runs],
        "ticket_owners": [run.ticket_owner for run in runs],
    }
