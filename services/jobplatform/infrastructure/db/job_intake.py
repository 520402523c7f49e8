"""The web's submit path on asyncio psycopg: the tenant setting and the accept statement as one
pipeline on an autocommit connection, one round trip, awaited on the event loop.

A blocking unit of work there needs a thread hand-off per request (two with FastAPI's response
check of a plain ``def`` route), which cost about a fifth of a submit's CPU. The statements, the
row-level security scope and the all-or-none commit are those of
``SqlUnitOfWorkFactory.accept``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.engine import make_url

from jobplatform.application.ports import JobIntake, StoreUnavailable
from jobplatform.domain.job import Job
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.db import hot_path
from jobplatform.infrastructure.db.accept_statement import (
    SET_TENANT,
    accept_one_params,
    accept_params,
    accepts_as_new,
)
from jobplatform.infrastructure.db.async_connections import AsyncConnections

APPLICATION_NAME = "jobplatform-submit"
_DIALECT = psycopg_dialect()  # type: ignore[no-untyped-call]
_SET_TENANT_SQL = str(SET_TENANT.compile(dialect=_DIALECT))
_ACCEPT_SQL = str(hot_path.ACCEPT_JOBS.compile(dialect=_DIALECT))
_ACCEPT_ONE_SQL = str(hot_path.ACCEPT_ONE_JOB.compile(dialect=_DIALECT))


class PipelinedJobIntake(JobIntake):
    def __init__(self, connections: AsyncConnections):
        self._connections = connections

    async def accept(
        self, tenant: TenantId, jobs: Sequence[Job], request_id: str | None, now: datetime
    ) -> None:
        if not jobs:
            return
        if not accepts_as_new(jobs, tenant, request_id, now):
            raise ValueError("only new queued jobs of this tenant and request are accepted")
        if len(jobs) == 1:
            sql, params = _ACCEPT_ONE_SQL, accept_one_params(jobs[0], tenant, request_id, now)
        else:
            sql, params = _ACCEPT_SQL, accept_params(jobs, tenant, request_id, now)
        for attempt in (1, 2):
            conn: psycopg.AsyncConnection[Any] | None = None
            try:
                async with self._connections.connection() as conn, conn.pipeline():
                    # In autocommit mode the statements of a pipeline up to its sync run as one
                    # implicit transaction: if the insert fails, nothing is committed and the
                    # transaction-local tenant setting ends with it.
                    # Prepared on each connection's first use, not after psycopg's default five.
                    await conn.execute(_SET_TENANT_SQL, {"tenant": str(tenant)}, prepare=True)
                    await conn.execute(sql, params, prepare=True)
                return
            except psycopg.errors.UniqueViolation:
                # Only a retry can meet these ids (random, fresh, this call's own): the first
                # try's commit went through before its connection broke, so they are stored.
                if attempt == 2:
                    return
                raise
            except psycopg.OperationalError as exc:
                # A connection the server dropped: so did every idle one (a restart), as
                # SQLAlchemy's pool assumes too. They are closed and one more try opens a
                # fresh connection. A connection that cannot be opened is a 503 at once.
                dropped = conn is not None and (conn.broken or conn.closed)
                if dropped:
                    await self._connections.discard_idle()
                if attempt == 2 or not dropped:
                    raise StoreUnavailable(
                        type(exc).__name__, connection_invalidated=dropped
                    ) from None
        raise AssertionError("unreachable")


@asynccontextmanager
async def open_job_intake(
    database_url: str, max_connections: int
) -> AsyncIterator[PipelinedJobIntake]:
    """An intake on up to ``max_connections`` connections of the running event loop, opened on
    demand and closed on exit."""
    conninfo = make_url(database_url).set(drivername="postgresql")
    if "application_name" not in conninfo.query:
        # Names these connections in pg_stat_activity, beside the engine's unnamed ones.
        conninfo = conninfo.update_query_dict({"application_name": APPLICATION_NAME})
    connections = AsyncConnections(
        conninfo.render_as_string(hide_password=False), max_size=max_connections
    )
    try:
        yield PipelinedJobIntake(connections)
    finally:
        await connections.close()
