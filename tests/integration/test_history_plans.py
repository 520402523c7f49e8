"""With a long history in the tables, the statements every submit, run, listing, relay pass,
reconciler pass and retention batch sends read through an index, never the whole table.

The plans are Postgres's own (EXPLAIN, FORMAT JSON) for the statements the repositories really
send, captured as they run, on 20,000 finished jobs of 20 tenants after ANALYZE.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, TextClause, event, text

from devstack.local_servers import PostgresServer
from jobplatform.application.records import StallBounds
from jobplatform.domain.job_status import JobStatus
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.db import hot_path, recovery_sql
from jobplatform.infrastructure.db.engine import make_engine
from jobplatform.infrastructure.db.migrate import upgrade
from jobplatform.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from support.history_seed import add_tenants, seed_finished_jobs

TENANTS, PER_TENANT = 20, 1_000
# The tables that grow with the history; a small table may well be read whole.
GROWING = {"jobs", "outbox", "job_attempts", "idempotency_keys", "dead_letters"}
Plan = dict[str, Any]


@dataclass(frozen=True)
class History:
    engine: Engine
    tenant: TenantId
    job_id: uuid.UUID  # one of the tenant's finished jobs
    key: str  # one of the tenant's idempotency keys

    @property
    def uow_factory(self) -> SqlUnitOfWorkFactory:
        return SqlUnitOfWorkFactory(self.engine)


@pytest.fixture(scope="module")
def history(postgres_server: PostgresServer) -> Iterator[History]:
    url = postgres_server.create_app_database(user="history_plans", db="history_plans")
    upgrade(url)
    now = datetime.now(UTC)
    with psycopg.connect(url, autocommit=True) as conn:
        tenants = add_tenants(conn, TENANTS, "plans")
        seed_finished_jobs(conn, tenants, PER_TENANT, now - timedelta(days=2))
        conn.execute("SELECT set_config('jobplatform.scope', 'system', false)")
        # A few dead ones in each tenant (what a status filter picks out of the history), each
        # with its dead letter; an idempotency key for every job.
        conn.execute("UPDATE jobs SET status = 'dead' WHERE substr(id::text, 1, 1) = '0'")
        conn.execute(
            "INSERT INTO dead_letters (id, tenant_id, job_id, job_type, reason, attempts,"
            " created_at) SELECT gen_random_uuid(), tenant_id, id, type, 'max_retries', 1,"
            " finished_at FROM jobs WHERE status = 'dead'"
        )
        conn.execute(
            "INSERT INTO idempotency_keys (tenant_id, key, fingerprint, job_id, expires_at)"
            " SELECT tenant_id, 'k-' || id, 'f', id, now() + interval '1 day' FROM jobs"
        )
        row = conn.execute(
            "SELECT id, 'k-' || id FROM jobs WHERE tenant_id = %s LIMIT 1", (tenants[0],)
        ).fetchone()
        assert row is not None
        conn.execute("ANALYZE")
    engine = make_engine(url, pool_size=2)
    yield History(engine, TenantId(tenants[0]), row[0], row[1])
    engine.dispose()


def _captured(engine: Engine, run: Callable[[], object]) -> list[tuple[str, Any]]:
    """The statements ``run`` sends through ``engine``, settings included."""
    seen: list[tuple[str, Any]] = []

    def grab(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    assert seen, "nothing was sent"
    return seen


def _plans(h: History, statements: list[tuple[str, Any]]) -> list[Plan]:
    """Postgres's plan for each statement, in one transaction as they ran: the settings among
    them (the scope, so row-level security applies; planner settings) are run, the others
    explained, not run."""
    plans = []
    with h.engine.connect() as conn:
        driver = conn.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        for statement, params in statements:
            if statement.lstrip().startswith("SELECT set_config"):
                driver.execute(statement, params)
                continue
            row = driver.execute("EXPLAIN (FORMAT JSON) " + statement, params).fetchone()
            assert row is not None
            plans.append(row[0][0]["Plan"])
        conn.rollback()
    assert plans, "no statement was explained"
    return plans


def _text_plan(
    h: History, stmt: TextClause, params: dict[str, Any], tenant: TenantId | None
) -> Plan:
    compiled = stmt.compile(dialect=h.engine.dialect)
    scope: tuple[str, Any] = (
        ("SELECT set_config('jobplatform.scope', 'system', true)", None)
        if tenant is None
        else ("SELECT set_config('jobplatform.tenant_id', %(t)s, true)", {"t": str(tenant)})
    )
    (plan,) = _plans(h, [scope, (str(compiled), compiled.construct_params(params))])
    return plan


def _nodes(plan: Plan) -> Iterator[Plan]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _full_scans(plan: Plan) -> list[str]:
    return [
        n["Relation Name"]
        for n in _nodes(plan)
        if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in GROWING
    ]


def _indexes(plan: Plan) -> set[str]:
    return {n["Index Name"] for n in _nodes(plan) if "Index Name" in n}


def _tenant_plans(h: History, run: Callable[[Any], object]) -> list[Plan]:
    def in_uow() -> None:
        with h.uow_factory.for_tenant(h.tenant) as uow:
            run(uow)  # rolled back: nothing it wrote stays

    return _plans(h, _captured(h.engine, in_uow))


def test_the_tenant_listing_reads_its_pages_in_index_order(history: History) -> None:
    h = history
    before = (datetime.now(UTC) - timedelta(days=2, minutes=10), uuid.UUID(int=0))
    listings = {
        "first page": lambda uow: uow.jobs.list(status=None, job_type=None, limit=50, before=None),
        "deep page": lambda uow: uow.jobs.list(status=None, job_type=None, limit=50, before=before),
        "by status": lambda uow: uow.jobs.list(
            status=JobStatus.DEAD, job_type=None, limit=50, before=None
        ),
        "by status, deep": lambda uow: uow.jobs.list(
            status=JobStatus.DEAD, job_type=None, limit=50, before=before
        ),
    }
    for name, run in listings.items():
        (plan,) = _tenant_plans(h, run)
        nodes = [n["Node Type"] for n in _nodes(plan)]
        assert _full_scans(plan) == [], name
        # Read in the page's order, stopped at the limit: nothing sorted, however long the
        # history.
        assert "Sort" not in nodes and "Incremental Sort" not in nodes, name
    (by_status,) = _tenant_plans(h, listings["by status, deep"])
    assert "ix_jobs_tenant_status_created" in _indexes(by_status)


def test_submit_and_run_statements_go_by_key(history: History) -> None:
    h = history
    now = datetime.now(UTC)
    runs: dict[str, Callable[[Any], object]] = {
        "idempotency lookup": lambda uow: uow.idempotency.get(h.key, now),
        "read a job": lambda uow: uow.jobs.get(h.job_id),
        "attempt history": lambda uow: uow.attempts.for_job(h.job_id),
        "start an attempt": lambda uow: uow.jobs.start_attempt(
            h.job_id, now, "w@host", now + timedelta(seconds=30)
        ),
    }
    for name, run in runs.items():
        for plan in _tenant_plans(h, run):
            assert _full_scans(plan) == [], name
    record = _text_plan(
        h,
        hot_path.RECORD_ATTEMPT,
        {"id": h.job_id, "tenant": h.tenant.value, "status": "succeeded", "error_class": None,
         "now": now, "finished_at": now, "next_attempt_at": None, "attempt": 1,
         "started": now, "ended": now, "outcome": "succeeded", "retry_delay": None},
        h.tenant,
    )  # fmt: skip
    assert _full_scans(record) == []


def test_relay_reconciler_and_retention_scans_skip_the_history(history: History) -> None:
    h = history
    now = datetime.now(UTC)

    def relay_and_reconciler() -> None:
        with h.uow_factory.system() as uow:
            uow.outbox.claim_unpublished(500)
            uow.recovery.find_stalled(
                now, StallBounds(timedelta(minutes=5), timedelta(minutes=1)), False, 500
            )

    for plan in _plans(h, _captured(h.engine, relay_and_reconciler)):
        assert _full_scans(plan) == [], plan

    # A sweep whose cutoff reaches into the history: its batch, and every delete of the rows
    # that refer to the batch, go by index. Planned as the repository sends it.
    def sweep() -> None:
        with h.uow_factory.system() as uow:
            uow.history.delete_finished(now, 100)  # rolled back

    (sweep_plan,) = _plans(h, _captured(h.engine, sweep))
    assert _full_scans(sweep_plan) == []
    assert {"ix_jobs_finished", "ix_outbox_job", "ix_dead_letters_job"} <= _indexes(sweep_plan)

    # The passes of a sweep with tenants of their own retention: the global one without
    # them, and one per such tenant.
    def own_retention_passes() -> None:
        with h.uow_factory.system() as uow:
            uow.history.delete_finished(now, 100, excluding=[h.tenant])  # rolled back
            uow.history.delete_finished(now, 100, tenant=h.tenant)

    for plan in _plans(h, _captured(h.engine, own_retention_passes)):
        assert _full_scans(plan) == [], plan
    renew = _text_plan(
        h, recovery_sql.RENEW_LEASES, {"ids": [h.job_id], "owner": "w@host", "until": now}, None
    )
    assert _full_scans(renew) == []


def test_the_plans_see_the_history(history: History) -> None:
    # The checks above mean something only with the history really there and analyzed.
    with history.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT relname, reltuples FROM pg_class WHERE relname IN ('jobs', 'outbox')")
        ).all()
    assert {name: n >= TENANTS * PER_TENANT for name, n in rows} == {"jobs": True, "outbox": True}
