"""Reading the database as one tenant sees it: row-level security applies, as in the platform."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import psycopg

from support.tenants import TenantFixture


@contextmanager
def connect_as(database_url: str, tenant: TenantFixture) -> Iterator[psycopg.Connection]:
    with psycopg.connect(database_url) as conn:
        conn.execute("SELECT set_config('jobplatform.tenant_id', %s, false)", (str(tenant.id),))
        yield conn


def count_rows(
    database_url: str,
    tenant: TenantFixture,
    table: str,
    where: str = "TRUE",
    params: Sequence[object] = (),
) -> int:
    """How many rows of ``table`` the tenant sees (tables and conditions come from tests only)."""
    with connect_as(database_url, tenant) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()  # noqa: S608
        return int(row[0]) if row else 0
