"""A tenant's retired API keys (revoked or expired), deleted by the scheduled prune.

``api_keys`` has no row-level security (it is what turns a key into a tenant, before any
tenant is known), so every statement here names the tenant itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, func, select

from jobplatform.application import ports
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.db import tables as t


class SqlRetiredApiKeys(ports.RetiredApiKeys):
    def __init__(self, conn: Connection, tenant: TenantId):
        self._c, self._tenant = conn, tenant.value

    def delete_retired_before(self, before: datetime, limit: int) -> int:
        k = t.api_keys.c
        # Retired at the earlier of the two: a key revoked before it expired went then.
        retired_at = func.least(k.revoked_at, k.expires_at)
        batch = (
            select(k.key_id)
            .where(k.tenant_id == self._tenant, retired_at < before)
            .limit(limit)
            .scalar_subquery()
        )
        result = self._c.execute(
            delete(t.api_keys).where(k.tenant_id == self._tenant, k.key_id.in_(batch))
        )
        return int(result.rowcount or 0)
