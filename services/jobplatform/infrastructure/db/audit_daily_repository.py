"""The daily audit counts port on SQLAlchemy, scoped to the unit of work's tenant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import Connection, select

from jobplatform.application.audit_daily import AuditDailyCount, AuditDailyCounts
from jobplatform.domain.audit_days import day_bounds, day_of
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.db import audit_daily_sql as q
from jobplatform.infrastructure.db import tables as t


class SqlAuditDailyCounts(AuditDailyCounts):
    def __init__(self, conn: Connection, tenant: TenantId):
        self._c, self._tenant = conn, tenant.value

    def recount(self, day: date, *, seal: bool) -> bool:
        key = {"tenant": self._tenant, "day": day}
        self._c.execute(q.CLAIM_DAY, key)
        if self._c.execute(q.LOCK_DAY, key).scalar_one() is not None:
            return False
        start, end = day_bounds(day)
        self._c.execute(q.RECOUNT_DAY, {**key, "start": start, "end": end})
        if seal:
            self._c.execute(q.SEAL_DAY, {**key, "now": datetime.now(UTC)})
        return True

    def oldest_event_day(self, on_or_after: date, before: date) -> date | None:
        params = {
            "tenant": self._tenant,
            "start": day_bounds(on_or_after)[0],
            "end": day_bounds(before)[0],
        }
        oldest = self._c.execute(q.OLDEST_EVENT, params).scalar_one()
        return None if oldest is None else day_of(oldest)

    def delete_sealed_events(self, day: date, limit: int) -> int:
        start, end = day_bounds(day)
        params = {"tenant": self._tenant, "day": day, "start": start, "end": end, "limit": limit}
        return int(self._c.execute(q.DELETE_SEALED_BATCH, params).rowcount)

    def between(self, first: date, last: date) -> Sequence[AuditDailyCount]:
        d = t.audit_daily.c
        rows = self._c.execute(
            select(d.day, d.action, d.count)
            .where(d.tenant_id == self._tenant, d.day >= first, d.day <= last)
            .order_by(d.day, d.action)
        )
        return [AuditDailyCount(day=day, action=action, count=int(n)) for day, action, n in rows]
