"""The retention sweep on real Postgres: exactly the finished jobs past the retention go, with
every row that refers to them; unfinished and recent jobs stay, whoever their tenant is."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import LiteralString

import psycopg
import pytest
from psycopg import sql

from devstack.local_servers import PostgresServer
from jobplatform.application.retention import PruneFinishedJobs, prune_finished_jobs
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.clock import SystemClock
from jobplatform.infrastructure.db.engine import make_engine
from jobplatform.infrastructure.db.migrate import upgrade
from jobplatform.infrastructure.db.tenant_directory import SqlTenantDirectory
from jobplatform.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from support.history_seed import add_tenants, seed_finished_jobs

DEPENDENTS = ("job_attempts", "outbox", "dead_letters", "webhook_attempts", "import_progress")


@pytest.fixture(scope="module")
def retention_db(postgres_server: PostgresServer) -> str:
    # A database of its own: the sweep is cross-tenant, and other tests' jobs are not its own.
    url = postgres_server.create_app_database(user="retention", db="retention")
    upgrade(url)
    return url


@pytest.fixture
def conn(retention_db: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(retention_db, autocommit=True) as c:
        c.execute("SELECT set_config('jobplatform.scope', 'system', false)")
        yield c


def _ids(conn: psycopg.Connection, where: LiteralString, *params: object) -> set[uuid.UUID]:
    query = sql.SQL("SELECT id FROM jobs WHERE ") + sql.SQL(where)
    return {r[0] for r in conn.execute(query, params)}


def _unfinish(conn: psycopg.Connection, ids: list[uuid.UUID], status: str) -> None:
    # An old job still in flight: created long ago, not finished.
    conn.execute(
        "UPDATE jobs SET status = %s, finished_at = NULL WHERE id = ANY(%s)", (status, ids)
    )


def _add_dependents(conn: psycopg.Connection, job_id: uuid.UUID, tenant: uuid.UUID) -> None:
    now = datetime.now(UTC)
    conn.execute(
        "INSERT INTO dead_letters (id, tenant_id, job_id, job_type, reason, attempts, created_at)"
        " VALUES (%s, %s, %s, 'noop', 'max_retries', 1, %s)",
        (uuid.uuid4(), tenant, job_id, now),
    )
    conn.execute(
        "INSERT INTO webhook_attempts (job_id, attempt, tenant_id, endpoint, status, latency_ms,"
        " at) VALUES (%s, 1, %s, 'hook', 200, 1.0, %s)",
        (job_id, tenant, now),
    )
    conn.execute(
        "INSERT INTO import_progress (job_id, tenant_id, rows_total, rows_done, rows_rejected,"
        " rows_changed, updated_at) VALUES (%s, %s, 1, 1, 0, 1, %s)",
        (job_id, tenant, now),
    )
    conn.execute(
        "INSERT INTO effect_ledger (tenant_id, job_id, effect_key, claimed_at)"
        " VALUES (%s, %s, 'sent', %s)",
        (tenant, job_id, now),
    )


def _referencing(conn: psycopg.Connection, ids: set[uuid.UUID]) -> dict[str, int]:
    counts = {}
    for table in (*DEPENDENTS, "effect_ledger"):
        query = sql.SQL("SELECT count(*) FROM {} WHERE job_id = ANY(%s)").format(
            sql.Identifier(table)
        )
        row = conn.execute(query, (list(ids),)).fetchone()
        assert row is not None
        counts[table] = row[0]
    return counts


def test_sweep_deletes_exactly_the_old_finished_jobs_with_their_rows(
    retention_db: str, conn: psycopg.Connection
) -> None:
    now = datetime.now(UTC)
    tenants = add_tenants(conn, 2, "retention")
    for tenant in tenants:
        seed_finished_jobs(conn, [tenant], 40, now - timedelta(days=40))  # old, succeeded
        seed_finished_jobs(conn, [tenant], 5, now - timedelta(days=45), status="dead")
        seed_finished_jobs(conn, [tenant], 30, now - timedelta(days=1))  # recent
    old = _ids(conn, "finished_at < %s", now - timedelta(days=30))
    for tenant in tenants:
        in_tenant = sorted(_ids(conn, "tenant_id = %s AND finished_at < %s", tenant,
                                now - timedelta(days=30)))  # fmt: skip
        _unfinish(conn, in_tenant[:3], "queued")
        _unfinish(conn, in_tenant[3:6], "running")
        _unfinish(conn, in_tenant[6:9], "retrying")
        _add_dependents(conn, in_tenant[10], tenant)  # an old finished job with every kind
        _add_dependents(conn, in_tenant[0], tenant)  # an old queued job with every kind
    unfinished = _ids(conn, "status IN ('queued', 'running', 'retrying')")
    doomed = old - unfinished
    kept = _ids(conn, "true") - doomed
    assert len(doomed) == 2 * (45 - 9) and len(unfinished) == 18
    assert all(_referencing(conn, doomed)[t] > 0 for t in ("job_attempts", "outbox"))
    assert all(n > 0 for n in _referencing(conn, unfinished).values())
    before_kept = _referencing(conn, kept)

    engine = make_engine(retention_db, pool_size=2)
    try:
        deleted = prune_finished_jobs(
            # A batch size that divides nothing evenly: several batches, the last one short.
            PruneFinishedJobs(timedelta(days=30), batch_size=7, max_batches=1_000),
            SqlUnitOfWorkFactory(engine),
            SystemClock(),
        )
    finally:
        engine.dispose()

    assert deleted == len(doomed)
    assert _ids(conn, "true") == kept
    assert _referencing(conn, doomed) == dict.fromkeys((*DEPENDENTS, "effect_ledger"), 0)
    assert _referencing(conn, kept) == before_kept
    # Both tenants keep their recent history and their unfinished jobs.
    for tenant in tenants:
        assert len(_ids(conn, "tenant_id = %s AND status = 'succeeded'", tenant)) == 30
        assert len(_ids(conn, "tenant_id = %s AND status <> 'succeeded'", tenant)) == 9


def test_sweep_stops_after_its_batch_bound(retention_db: str, conn: psycopg.Connection) -> None:
    now = datetime.now(UTC)
    tenant = add_tenants(conn, 1, "retention-bound")[0]
    seed_finished_jobs(conn, [tenant], 25, now - timedelta(days=400))
    engine = make_engine(retention_db, pool_size=2)
    try:
        uow_factory = SqlUnitOfWorkFactory(engine)
        cmd = PruneFinishedJobs(timedelta(days=300), batch_size=10, max_batches=2)
        first = prune_finished_jobs(cmd, uow_factory, SystemClock())
        left = len(_ids(conn, "tenant_id = %s", tenant))
        second = prune_finished_jobs(cmd, uow_factory, SystemClock())
    finally:
        engine.dispose()
    assert (first, left, second) == (20, 5, 5)
    assert _ids(conn, "tenant_id = %s", tenant) == set()


def test_each_tenant_is_swept_by_its_own_retention(
    retention_db: str, conn: psycopg.Connection
) -> None:
    now = datetime.now(UTC)
    short, long_, default = add_tenants(conn, 3, "retention-own")
    for tenant in (short, long_, default):
        seed_finished_jobs(conn, [tenant], 6, now - timedelta(days=10))
        seed_finished_jobs(conn, [tenant], 4, now - timedelta(days=40))
        seed_finished_jobs(conn, [tenant], 3, now - timedelta(days=1))
    engine = make_engine(retention_db, pool_size=2)
    try:
        directory = SqlTenantDirectory(engine)
        assert directory.set_job_retention(TenantId(short), 5)
        assert directory.set_job_retention(TenantId(long_), 60)
        own = {r.id.value: r.job_retention_days for r in directory.describe()}
        assert (own[short], own[long_], own[default]) == (5, 60, None)
        deleted = prune_finished_jobs(
            PruneFinishedJobs(timedelta(days=30), batch_size=4, max_batches=1_000),
            SqlUnitOfWorkFactory(engine),
            SystemClock(),
        )
    finally:
        engine.dispose()

    def left(tenant: uuid.UUID) -> int:
        return len(_ids(conn, "tenant_id = %s", tenant))

    # 5 days: the 10- and 40-day-old jobs go; 60 days: all stay; the global 30: the 40 go.
    assert (left(short), left(long_), left(default)) == (3, 13, 9)
    assert deleted >= 10 + 4  # and any older job another test of this database left
    assert (
        _ids(conn, "tenant_id = %s AND finished_at < %s", default, now - timedelta(days=30))
        == set()
    )
