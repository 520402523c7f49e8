"""Units of work on SQLAlchemy: one connection, one transaction, the tenant set on it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, insert, select, text

from jobplatform.application import ports, tenant_context
from jobplatform.application.records import RejectedMessage
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.db import repositories as repo
from jobplatform.infrastructure.db import tables as t

_SET_TENANT = text("SELECT set_config('jobplatform.tenant_id', :tenant, true)")
_SET_SYSTEM = text("SELECT set_config('jobplatform.scope', 'system', true)")


class _SqlTransaction:
    """A pooled connection with one open transaction; closing returns it to the pool."""

    def __init__(self, engine: Engine):
        self._conn: Connection = engine.connect()
        self._tx = self._conn.begin()

    def commit(self) -> None:
        self._tx.commit()
        self._conn.close()

    def rollback(self) -> None:
        if self._tx.is_active:
            self._tx.rollback()
        self._conn.close()


class SqlUnitOfWork(_SqlTransaction, ports.UnitOfWork):
    def __init__(self, engine: Engine, tenant: TenantId):
        super().__init__(engine)
        # Transaction-local: row-level security sees only this tenant until commit/rollback.
        self._conn.execute(_SET_TENANT, {"tenant": str(tenant)})
        self.jobs = repo.SqlJobs(self._conn, tenant)
        self.outbox = repo.SqlOutbox(self._conn)
        self.idempotency = repo.SqlIdempotencyKeys(self._conn, tenant)
        self.effects = repo.SqlEffectLedger(self._conn, tenant)
        self.dead_letters = repo.SqlDeadLetters(self._conn, tenant)
        self.attempts = repo.SqlAttemptLog(self._conn, tenant)


class SqlSystemUnitOfWork(_SqlTransaction, ports.SystemUnitOfWork):
    def __init__(self, engine: Engine):
        super().__init__(engine)
        self._conn.execute(_SET_SYSTEM)
        self.outbox = repo.SqlOutbox(self._conn)

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

    def for_current_tenant(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, tenant_context.require().tenant_id)

    def system(self) -> SqlSystemUnitOfWork:
        return SqlSystemUnitOfWork(self.engine)
