"""Tenants and API keys in Postgres."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from jobplatform.application.api_keys import KeyListing, TenantDirectory, TenantRecord
from jobplatform.application.errors import UnknownTenant
from jobplatform.application.ports import StoreUnavailable
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.db import tables as t

# The database's clock decides expiry, the same for every process that asks.
_TENANT_FOR_DIGEST = text(
    "SELECT tenant_id FROM api_keys WHERE digest = :digest AND revoked_at IS NULL"
    " AND (expires_at IS NULL OR expires_at > now())"
)


class SqlTenantDirectory(TenantDirectory):
    def __init__(self, engine: Engine):
        self._engine = engine

    def create_tenant(self, name: str, job_retention_days: int | None = None) -> TenantId:
        tenant = TenantId(uuid.uuid4())
        with self._engine.begin() as conn:
            conn.execute(
                insert(t.tenants).values(
                    id=tenant.value,
                    name=name,
                    created_at=datetime.now(UTC),
                    job_retention_days=job_retention_days,
                )
            )
        return tenant

    def set_job_retention(self, tenant_id: TenantId, days: int | None) -> bool:
        with self._engine.begin() as conn:
            result = conn.execute(
                update(t.tenants)
                .where(t.tenants.c.id == tenant_id.value)
                .values(job_retention_days=days)
            )
        return bool(result.rowcount)

    def describe(self) -> Sequence[TenantRecord]:
        c = t.tenants.c
        with self._engine.connect() as conn:
            rows = conn.execute(select(c.id, c.name, c.job_retention_days).order_by(c.name))
            return [TenantRecord(TenantId(i), name, days) for i, name, days in rows]

    def store_key(
        self, tenant_id: TenantId, key_id: str, digest: str, expires_at: datetime | None = None
    ) -> None:
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(t.api_keys).values(
                        key_id=key_id,
                        tenant_id=tenant_id.value,
                        digest=digest,
                        created_at=datetime.now(UTC),
                        expires_at=expires_at,
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

    def keys_of(self, tenant_id: TenantId) -> list[KeyListing]:
        k = t.api_keys.c
        query = (
            select(k.key_id, k.created_at, k.expires_at, k.revoked_at)
            .where(k.tenant_id == tenant_id.value)
            .order_by(k.created_at, k.key_id)
        )
        with self._engine.connect() as conn:
            return [
                KeyListing(
                    key_id=row.key_id,
                    created_at=row.created_at,
                    expires_at=row.expires_at,
                    revoked_at=row.revoked_at,
                )
                for row in conn.execute(query)
            ]

    def tenant_for_digest(self, digest: str) -> TenantId | None:
        # One statement, so autocommit: no BEGIN and no ROLLBACK around it. The pool does not
        # pre-ping: a connection the server dropped fails once and the retry gets a fresh one.
        for attempt in (1, 2):
            try:
                with self._engine.connect() as conn:
                    row = (
                        conn.execution_options(isolation_level="AUTOCOMMIT")
                        .execute(_TENANT_FOR_DIGEST, {"digest": digest})
                        .first()
                    )
                return None if row is None else TenantId(row[0])
            except StoreUnavailable as exc:
                if attempt == 2 or not exc.connection_invalidated:
                    raise
        raise AssertionError("unreachable")
