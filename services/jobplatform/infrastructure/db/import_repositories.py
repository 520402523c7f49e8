"""CSV import's ports on SQLAlchemy, scoped to the unit of work's tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from jobplatform.application.imports import (
    Contacts,
    ImportProgress,
    ImportProgressLog,
    ImportUploads,
)
from jobplatform.domain.csv_import import ContactRecord
from jobplatform.domain.job_types.csv_import import CSV_IMPORT
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.db import tables as t

# One fixed statement for every chunk: the rows travel as three arrays, so Postgres plans it
# once per connection instead of parsing a fresh thousand-row VALUES list for each chunk (that
# parse was most of an import's CPU). A row that is already the same is left alone, so an
# import run twice changes nothing; RETURNING counts the rows that changed.
_UPSERT = text(
    """
    INSERT INTO contacts (tenant_id, external_id, email, name, updated_at)
    SELECT CAST(:tenant AS uuid), r.external_id, r.email, r.name, :at
    FROM unnest(CAST(:ids AS text[]), CAST(:emails AS text[]), CAST(:names AS text[]))
        AS r(external_id, email, name)
    ON CONFLICT (tenant_id, external_id) DO UPDATE
        SET email = excluded.email, name = excluded.name, updated_at = excluded.updated_at
        WHERE (contacts.email, contacts.name) IS DISTINCT FROM (excluded.email, excluded.name)
    RETURNING external_id
    """
)


class SqlContacts(Contacts):
    def __init__(self, conn: Connection, tenant: TenantId):
        self._c, self._tenant = conn, tenant.value

    def upsert(self, records: Sequence[ContactRecord], at: datetime) -> int:
        # The last row of an id wins within a chunk (one statement cannot touch a row twice).
        latest = list({r.external_id: r for r in records}.values())
        if not latest:
            return 0
        params = {
            "tenant": str(self._tenant),
            "at": at,
            "ids": [r.external_id for r in latest],
            "emails": [r.email for r in latest],
            "names": [r.name for r in latest],
        }
        return len(self._c.execute(_UPSERT, params).all())


# An import's upload is its payload's "upload"; row-level security keeps it to the tenant.
_UPLOADS_IN_USE = text(
    """
    SELECT DISTINCT payload->>'upload' AS upload FROM jobs
    WHERE tenant_id = CAST(:tenant AS uuid) AND type = :type
      AND status NOT IN ('succeeded', 'failed', 'dead')
      AND payload->>'upload' = ANY(CAST(:names AS text[]))
    """
)


class SqlImportUploads(ImportUploads):
    def __init__(self, conn: Connection, tenant: TenantId):
        self._c, self._tenant = conn, tenant.value

    def in_use(self, names: Sequence[str]) -> set[str]:
        if not names:
            return set()
        params = {"tenant": str(self._tenant), "type": CSV_IMPORT.name, "names": list(names)}
        return {row.upload for row in self._c.execute(_UPLOADS_IN_USE, params)}


class SqlImportProgress(ImportProgressLog):
    def __init__(self, conn: Connection, tenant: TenantId):
        self._c, self._tenant = conn, tenant.value

    def save(self, job_id: uuid.UUID, progress: ImportProgress, at: datetime) -> None:
        values = {
            "rows_total": progress.rows_total,
            "rows_done": progress.rows_done,
            "rows_rejected": progress.rows_rejected,
            "rows_changed": progress.rows_changed,
            "error_report": progress.error_report,
            "updated_at": at,
        }
        stmt = pg_insert(t.import_progress).values(job_id=job_id, tenant_id=self._tenant, **values)
        self._c.execute(stmt.on_conflict_do_update(index_elements=["job_id"], set_=values))

    def get(self, job_id: uuid.UUID) -> ImportProgress | None:
        p = t.import_progress.c
        row = self._c.execute(
            select(t.import_progress).where(p.tenant_id == self._tenant, p.job_id == job_id)
        ).first()
        if row is None:
            return None
        m = row._mapping
        return ImportProgress(
            rows_total=m["rows_total"],
            rows_done=m["rows_done"],
            rows_rejected=m["rows_rejected"],
            rows_changed=m["rows_changed"],
            error_report=m["error_report"],
        )
