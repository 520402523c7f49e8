"""A worker's pool process keeps one connection per thread for the statements every job runs:
the same rows and rules as a pooled connection, and a connection the server dropped is
replaced on the next call."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import text

from jobplatform.domain.job_status import JobStatus
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.container import Container
from jobplatform.infrastructure.db.engine import make_engine
from jobplatform.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from support.tenants import TenantFixture
from support.unpublished_jobs import add_unpublished_job

LEASE = timedelta(seconds=30)


@pytest.fixture
def held(container: Container) -> Iterator[SqlUnitOfWorkFactory]:
    engine = make_engine(container.settings.database_url, pool_size=2, pre_ping=False)
    yield SqlUnitOfWorkFactory(engine, hold_connections=True)
    engine.dispose()


def start(container: Container, factory: SqlUnitOfWorkFactory, tenant: TenantId) -> int:
    """Start a new job's attempt through ``factory``; the backend pid that ran it."""
    job = add_unpublished_job(container, tenant, "noop", {})
    now = container.clock.now()
    started = factory.start_attempt(tenant, job.id, now, "held-test", now + LEASE)
    assert started is not None and started.status is JobStatus.RUNNING
    return backend_of(factory)


def backend_of(factory: SqlUnitOfWorkFactory) -> int:
    pid = factory._autocommit(lambda pg: pg.info.backend_pid)
    assert isinstance(pid, int)
    return pid


def test_a_thread_keeps_its_connection_across_statements(
    container: Container, tenant: TenantFixture, held: SqlUnitOfWorkFactory
) -> None:
    first = start(container, held, tenant.id)
    assert start(container, held, tenant.id) == first


def test_the_held_connection_still_sees_only_the_bound_tenant(
    container: Container,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    held: SqlUnitOfWorkFactory,
) -> None:
    job = add_unpublished_job(container, tenant.id, "noop", {})
    now = container.clock.now()
    # Another tenant's start finds no job: row-level security binds the held connection too.
    assert held.start_attempt(other_tenant.id, job.id, now, "held-test", now + LEASE) is None
    assert held.start_attempt(tenant.id, job.id, now, "held-test", now + LEASE) is not None


def test_a_held_connection_the_server_dropped_is_replaced(
    container: Container, tenant: TenantFixture, held: SqlUnitOfWorkFactory
) -> None:
    dropped = start(container, held, tenant.id)
    with container.engine.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
    # The next start meets the dead connection, drops it and runs on a fresh one.
    assert start(container, held, tenant.id) != dropped
