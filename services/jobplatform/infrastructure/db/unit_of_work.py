"""Units of work on SQLAlchemy: one connection, one transaction, the tenant set on it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, TextClause, insert, select, text

from jobplatform.application import ports
from jobplatform.application.ports import StoreUnavailable
from jobplatform.application.records import RejectedMessage
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.db import repositories as repo
from jobplatform.infrastructure.db import tables as t
from jobplatform.infrastructure.db.audit_repository import SqlAuditLog
from jobplatform.infrastructure.db.import_repositories import SqlContacts, SqlImportProgress
from jobplatform.infrastructure.db.recovery import SqlRecovery
from jobplatform.infrastructure.db.webhook_repositories import (
    SqlWebhookAttempts,
    SqlWebhookEndpoints,
)

_SET_TENANT = text("SELECT set_config('jobplatform.tenant_id', :tenant, true)")
_SET_SYSTEM = text("SELECT set_config('jobplatform.scope', 'system', true)")


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
        super().__init__(engine, _SET_TENANT, {"tenant": str(tenant)})
        self.jobs = repo.SqlJobs(self._conn, tenant)
        self.outbox = repo.SqlOutbox(self._conn)
        self.idempotency = repo.SqlIdempotencyKeys(self._conn, tenant)
        self.effects = repo.SqlEffectLedger(self._conn, tenant)
        self.dead_letters = repo.SqlDeadLetters(self._conn, tenant)
        self.attempts = repo.SqlAttemptLog(self._conn, tenant)
        self.webhook_endpoints = SqlWebhookEndpoints(self._conn, tenant)
        self.webhook_attempts = SqlWebhookAttempts(self._conn, tenant)
        self.audit = SqlAuditLog(self._conn, tenant)
        self.contacts = SqlContacts(self._conn, tenant)
        self.import_progress = SqlImportProgress(self._conn, tenant)


class SqlSystemUnitOfWork(_SqlTransaction, ports.SystemUnitOfWork):
    def __init__(self, engine: Engine):
        super().__init__(engine, _SET_SYSTEM, {})
        self.outbox = repo.SqlOutbox(self._conn)
        self.recovery = SqlRecovery(self._conn)

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
    def __init__(self, engine: Engine):
        self.engine = engine

    def for_tenant(self, tenant: TenantId) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, tenant)

    def system(self) -> SqlSystemUnitOfWork:
        return SqlSystemUnitOfWork(self.engine)
