"""The retention sweep's repository, in the system scope."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import Connection, text

from jobplatform.application import ports
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.db import retention_sql


class SqlJobHistory(ports.JobHistory):
    def __init__(self, conn: Connection):
        self._c = conn

    def delete_finished(
        self,
        before: datetime,
        limit: int,
        *,
        tenant: TenantId | None = None,
        excluding: Sequence[TenantId] = (),
    ) -> int:
        # The planner takes the row-level security policy for a filter that keeps almost no
        # row, expects a handful of finished jobs and would read the whole table to sort
        # them; the batch is read in the order of the finished_at index instead, stopped at
        # the limit. The setting holds for this statement only.
        self._c.execute(_NO_SORT)
        params = {
            "before": before,
            "limit": limit,
            "tenant": None if tenant is None else tenant.value,
            "excluded": [t.value for t in excluding],
        }
        deleted = self._c.execute(retention_sql.DELETE_FINISHED_BATCH, params).scalar_one()
        self._c.execute(_SORT)
        return int(deleted)

    def retention_overrides(self) -> Mapping[TenantId, int]:
        rows = self._c.execute(retention_sql.RETENTION_OVERRIDES)
        return {TenantId(tenant): int(days) for tenant, days in rows}


_NO_SORT = text("SELECT set_config('enable_sort', 'off', true)")
_SORT = text("SELECT set_config('enable_sort', 'on', true)")
