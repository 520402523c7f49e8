"""Tenants and API keys in Postgres."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from jobplatform.application.api_keys import TenantDirectory
from jobplatform.application.errors import UnknownTenant
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.db import tables as t


class SqlTenantDirectory(TenantDirectory):
    def __init__(self, engine: Engine):
        self._engine = engine

    def create_tenant(self, name: str) -> TenantId:
        tenant = TenantId(uuid.uuid4())
        with self._engine.begin() as conn:
            conn.execute(
                insert(t.tenants).values(id=tenant.value, name=name, created_at=datetime.now(UTC))
            )
        return tenant

    def store_key(self, tenant_id: TenantId, key_id: str, digest: str) -> None:
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(t.api_keys).values(
                        key_id=key_id,
                        tenant_id=tenant_id.value,
                        digest=digest,
                        created_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            # The only constraint a fresh random key id can break is the tenant foreign key.
            raise UnknownTenant(f"no tenant with id {tenant_id}") from None

    def revoke_key(self, key_id: str) -> bool:
        with self._engine.begin() as conn:
            result = conn.execute(
                update(t.api_keys)
                .where(
                    t.api_keys.c.key_id == key_id,
                    t.api_keys.c.revoked_at.is_(None),
                )
                .values(revoked_at=datetime.now(UTC))
            )
        return bool(result.rowcount)

    def tenant_for_digest(self, digest: str) -> TenantId | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(t.api_keys.c.tenant_id).where(
                    t.api_keys.c.digest == digest, t.api_keys.c.revoked_at.is_(None)
                )
            ).first()
        return None if row is None else TenantId(row[0])
