"""CSV import's ports on SQLAlchemy, scoped to the unit of work's tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert

from jobplatform.application.imports import Contacts, ImportProgress, ImportProgressLog
from jobplatform.domain.csv_import import ContactRecord
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.db import tables as t


class SqlContacts(Contacts):
    def __init__(self, conn: Connection, tenant: TenantId):
        self._c, self._tenant = conn, tenant.value

    def upsert(self, records: Sequence[ContactRecord], at: datetime) -> int:
        # The last row of an id wins within a chunk (one statement cannot touch a row twice).
        latest = {r.external_id: r for r in records}
        if not latest:
            return 0
        insert = pg_insert(t.contacts).values(
            [
                {
                    "tenant_id": self._tenant,
                    "external_id": r.external_id,
                    "email": r.email,
                    "name": r.name,
                    "updated_at": at,
                }
                for r in latest.values()
            ]
        )
        c = t.contacts.c
        # A row that is already the same is left alone: an import run twice changes nothing.
        stmt = insert.on_conflict_do_update(
            index_elements=["tenant_id", "external_id"],
            set_={"email": insert.excluded.email, "name": insert.excluded.name, "updated_at": at},
            where=tuple_(c.email, c.name).is_distinct_from(
                tuple_(insert.excluded.email, insert.excluded.name)
            ),
        ).returning(c.external_id)
        return len(self._c.execute(stmt).all())


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
