"""SQLAlchemy implementations of the webhook ports, scoped to the unit of work's tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from jobplatform.application.webhooks import (
    WebhookAttempt,
    WebhookAttempts,
    WebhookEndpoint,
    WebhookEndpoints,
)
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.db import tables as t


class SqlWebhookEndpoints(WebhookEndpoints):
    def __init__(self, conn: Connection, tenant: TenantId):
        self._c, self._tenant = conn, tenant.value

    def get(self, name: str) -> WebhookEndpoint | None:
        e = t.webhook_endpoints.c
        row = self._c.execute(
            select(t.webhook_endpoints).where(e.tenant_id == self._tenant, e.name == name)
        ).first()
        if row is None:
            return None
        m = row._mapping
        return WebhookEndpoint(
            name=m["name"],
            url=m["url"],
            secret_ref=m["secret_ref"],
            timeout_seconds=m["timeout_seconds"],
        )

    def put(self, endpoint: WebhookEndpoint, at: datetime) -> None:
        values = {
            "url": endpoint.url,
            "secret_ref": endpoint.secret_ref,
            "timeout_seconds": endpoint.timeout_seconds,
            "updated_at": at,
        }
        stmt = pg_insert(t.webhook_endpoints).values(
            tenant_id=self._tenant, name=endpoint.name, **values
        )
        self._c.execute(
            stmt.on_conflict_do_update(index_elements=["tenant_id", "name"], set_=values)
        )


class SqlWebhookAttempts(WebhookAttempts):
    def __init__(self, conn: Connection, tenant: TenantId):
        self._c, self._tenant = conn, tenant.value

    def add(self, attempt: WebhookAttempt) -> None:
        # A run taken over after its lease ran out may record the same attempt number again:
        # the first record stands.
        self._c.execute(
            pg_insert(t.webhook_attempts)
            .values(
                job_id=attempt.job_id,
                attempt=attempt.attempt,
                tenant_id=self._tenant,
                endpoint=attempt.endpoint,
                status=attempt.status,
                latency_ms=attempt.latency_ms,
                error_class=attempt.error_class,
                at=attempt.at,
            )
            .on_conflict_do_nothing()
        )

    def for_job(self, job_id: uuid.UUID) -> Sequence[WebhookAttempt]:
        a = t.webhook_attempts.c
        rows = self._c.execute(
            select(t.webhook_attempts)
            .where(a.tenant_id == self._tenant, a.job_id == job_id)
            .order_by(a.attempt)
        )
        return [
            WebhookAttempt(
                job_id=m["job_id"],
                attempt=m["attempt"],
                endpoint=m["endpoint"],
                status=m["status"],
                latency_ms=m["latency_ms"],
                error_class=m["error_class"],
                at=m["at"],
            )
            for m in (r._mapping for r in rows)
        ]
