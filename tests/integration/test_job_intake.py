"""The web's asyncio submit path against the real Postgres, in-process: the job and its outbox
row are committed when ``accept`` returns, only for the tenant named, and a connection the
server dropped is replaced once without losing or doubling the job."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import psycopg
import pytest

from devstack.local_servers import PostgresServer
from devstack.wait import wait_for
from jobplatform.application.submit_job import new_queued_job
from jobplatform.domain.job import Job
from jobplatform.domain.tenant import TenantContext
from jobplatform.infrastructure.container import Container
from jobplatform.infrastructure.db.job_intake import APPLICATION_NAME, open_job_intake
from support.tenants import TenantFixture


def _job(tenant: TenantFixture, request_id: str, now: datetime) -> Job:
    ctx = TenantContext(tenant_id=tenant.id, request_id=request_id)
    return new_queued_job("noop", "default", {}, ctx, now)


def _stored(postgres_server: PostgresServer, job: Job) -> tuple[int, int]:
    """Job rows and outbox rows of ``job``, read as the superuser (row-level security off)."""
    with psycopg.connect(postgres_server.url("postgres", "jobplatform")) as conn:
        jobs = conn.execute(
            "SELECT count(*) FROM jobs WHERE id = %s AND tenant_id = %s",
            (job.id, job.tenant_id.value),
        ).fetchone()
        outbox = conn.execute(
            "SELECT count(*) FROM outbox WHERE job_id = %s AND tenant_id = %s",
            (job.id, job.tenant_id.value),
        ).fetchone()
    assert jobs is not None and outbox is not None
    return jobs[0], outbox[0]


def _intake_backends(postgres_server: PostgresServer) -> list[tuple[int]]:
    with psycopg.connect(postgres_server.url("postgres", "jobplatform")) as admin:
        return admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (APPLICATION_NAME,)
        ).fetchall()


def test_accepted_jobs_are_committed_with_their_outbox_rows(
    container: Container, postgres_server: PostgresServer, tenant: TenantFixture
) -> None:
    now = datetime.now(UTC)
    jobs = [_job(tenant, "intake-test", now) for _ in range(3)]

    async def accept() -> None:
        async with open_job_intake(container.settings.database_url, 2) as intake:
            await intake.accept(tenant.id, jobs, "intake-test", now)

    asyncio.run(accept())
    assert [_stored(postgres_server, j) for j in jobs] == [(1, 1)] * 3


def test_a_job_of_another_tenant_is_refused_and_nothing_is_stored(
    container: Container,
    postgres_server: PostgresServer,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
) -> None:
    now = datetime.now(UTC)
    mine, theirs = _job(tenant, "intake-test", now), _job(other_tenant, "intake-test", now)

    async def accept() -> None:
        async with open_job_intake(container.settings.database_url, 2) as intake:
            await intake.accept(tenant.id, [mine, theirs], "intake-test", now)

    with pytest.raises(ValueError, match="of this tenant"):
        asyncio.run(accept())
    assert _stored(postgres_server, mine) == (0, 0)
    assert _stored(postgres_server, theirs) == (0, 0)


def test_a_connection_the_server_dropped_is_replaced_and_the_job_stored_once(
    container: Container, postgres_server: PostgresServer, tenant: TenantFixture
) -> None:
    now = datetime.now(UTC)
    first, second = _job(tenant, "intake-test", now), _job(tenant, "intake-test", now)

    async def accept_across_a_dropped_connection() -> None:
        async with open_job_intake(container.settings.database_url, 2) as intake:
            await intake.accept(tenant.id, [first], "intake-test", now)
            # The pooled connection's server process ends, as in a Postgres restart.
            with psycopg.connect(postgres_server.url("postgres", "jobplatform")) as admin:
                ended = admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = %s AND state = 'idle'",
                    (APPLICATION_NAME,),
                ).fetchall()
            assert ended, "no idle connection of the intake to end"
            wait_for(
                lambda: not _intake_backends(postgres_server),
                timeout=30,
                what="the intake's server process to end",
            )
            await intake.accept(tenant.id, [second], "intake-test", now)

    asyncio.run(accept_across_a_dropped_connection())
    assert _stored(postgres_server, first) == (1, 1)
    assert _stored(postgres_server, second) == (1, 1)


def _row(postgres_server: PostgresServer, job: Job) -> tuple[object, ...]:
    """What the accept statements wrote of ``job`` (its id left out), job and outbox row; not
    its status, attempts or update time, which the suite's workers change once they run it."""
    with psycopg.connect(postgres_server.url("postgres", "jobplatform")) as conn:
        row = conn.execute(
            "SELECT j.tenant_id, j.type, j.queue, j.payload, "
            "j.attempts_before_series, j.request_id, j.created_at, "
            "j.dispatched_at, o.tenant_id, o.job_type, o.queue, o.request_id, o.created_at "
            "FROM jobs j JOIN outbox o ON o.job_id = j.id WHERE j.id = %s",
            (job.id,),
        ).fetchone()
    assert row is not None, "job or outbox row missing"
    return tuple(row)


def test_a_single_job_is_stored_as_a_job_of_several_is(
    container: Container, postgres_server: PostgresServer, tenant: TenantFixture
) -> None:
    now = datetime.now(UTC)
    alone = new_queued_job(
        "diagnostic",
        "default",
        {"note": "x"},
        TenantContext(tenant_id=tenant.id, request_id="intake-test"),
        now,
    )
    several = [
        new_queued_job(
            "diagnostic",
            "default",
            {"note": "x"},
            TenantContext(tenant_id=tenant.id, request_id="intake-test"),
            now,
        )
        for _ in range(2)
    ]

    async def accept() -> None:
        async with open_job_intake(container.settings.database_url, 2) as intake:
            await intake.accept(tenant.id, [alone], "intake-test", now)
            await intake.accept(tenant.id, several, "intake-test", now)

    asyncio.run(accept())
    assert _row(postgres_server, alone) == _row(postgres_server, several[0])
    assert _stored(postgres_server, alone) == (1, 1)
