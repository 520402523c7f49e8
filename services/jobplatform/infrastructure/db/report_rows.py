"""Report generation's port on SQLAlchemy: keyset pages of one tenant's rows of a period.

Each page is read in the order of an index that starts with (tenant_id, time) — jobs'
ix_jobs_tenant_created, audit events' ix_audit_events_tenant_occurred — from the last row of
the previous page on, so a page costs the same wherever it is in the period. As for the job
list, sorting is switched off for the statement so the planner reads the index in order and
stops at the limit instead of sorting the whole period."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, Select, select, text, tuple_

from jobplatform.application.audit import AuditEvent
from jobplatform.application.reports import ReportedJob, ReportRows, SortKey
from jobplatform.domain.report import ReportPeriod
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.db import tables as t

_NO_SORT = text("SELECT set_config('enable_sort', 'off', true)")
_SORT = text("SELECT set_config('enable_sort', 'on', true)")


class SqlReportRows(ReportRows):
    def __init__(self, conn: Connection, tenant: TenantId):
        self._c, self._tenant = conn, tenant.value

    def jobs(
        self, period: ReportPeriod, after: SortKey | None, limit: int
    ) -> Sequence[ReportedJob]:
        j = t.jobs.c
        q = select(
            j.id,
            j.type,
            j.queue,
            j.status,
            j.attempts,
            j.error_class,
            j.request_id,
            j.created_at,
            j.started_at,
            j.finished_at,
        ).where(
            j.tenant_id == self._tenant, j.created_at >= period.start, j.created_at < period.end
        )
        if after is not None:
            q = q.where(tuple_(j.created_at, j.id) > tuple_(*after))
        q = q.order_by(j.created_at, j.id).limit(limit)
        return [ReportedJob(**row._mapping) for row in self._in_index_order(q)]

    def audit_events(
        self, period: ReportPeriod, after: SortKey | None, limit: int
    ) -> Sequence[AuditEvent]:
        a = t.audit_events.c
        q = select(
            a.id,
            a.action,
            a.occurred_at,
            a.recorded_at,
            a.actor,
            a.subject,
            a.request_id,
            a.data,
        ).where(
            a.tenant_id == self._tenant,
            a.occurred_at >= period.start,
            a.occurred_at < period.end,
        )
        if after is not None:
            q = q.where(tuple_(a.occurred_at, a.id) > tuple_(*after))
        q = q.order_by(a.occurred_at, a.id).limit(limit)
        return [AuditEvent(**row._mapping) for row in self._in_index_order(q)]

    def _in_index_order(self, q: Select[Any]) -> Sequence[Row[Any]]:
        self._c.execute(_NO_SORT)
        rows = self._c.execute(q).all()
        self._c.execute(_SORT)
        return rows
