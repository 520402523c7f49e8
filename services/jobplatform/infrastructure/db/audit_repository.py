"""The audit log port on SQLAlchemy, scoped to the unit of work's tenant."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from jobplatform.application.audit import AuditEvent, AuditLog
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.db import tables as t


class SqlAuditLog(AuditLog):
    def __init__(self, conn: Connection, tenant: TenantId):
        self._c, self._tenant = conn, tenant.value

    def add(self, event: AuditEvent) -> bool:
        stmt = (
            pg_insert(t.audit_events)
            .values(
                tenant_id=self._tenant,
                id=event.id,
                action=event.action,
                actor=event.actor,
                subject=event.subject,
                request_id=event.request_id,
                data=event.data,
                occurred_at=event.occurred_at,
                recorded_at=event.recorded_at,
            )
            .on_conflict_do_nothing()
            .returning(t.audit_events.c.id)
        )
        return self._c.execute(stmt).first() is not None

    def recent(self, limit: int) -> Sequence[AuditEvent]:
        a = t.audit_events.c
        rows = self._c.execute(
            select(t.audit_events)
            .where(a.tenant_id == self._tenant)
            .order_by(a.occurred_at.desc(), a.id.desc())
            .limit(limit)
        )
        return [
            AuditEvent(
                id=m["id"],
                action=m["action"],
                occurred_at=m["occurred_at"],
                recorded_at=m["recorded_at"],
                actor=m["actor"],
                subject=m["subject"],
                request_id=m["request_id"],
                data=m["data"],
            )
            for m in (r._mapping for r in rows)
        ]
