"""The worker's write-behind of succeeded outcomes (OutcomeWriter), in-process against the real
Postgres: what it writes, what it must not write, and what it keeps when the database refuses.

The jobs are stored without an outbox row, so no worker of the session runs them: the only
runs they get are the ones these tests make.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import make_url

from devstack.ports import free_port
from devstack.wait import wait_for
from jobplatform.application.ports import UnitOfWorkFactory
from jobplatform.application.queries import get_job
from jobplatform.application.records import AttemptRecord, SucceededRun
from jobplatform.application.run_job import Outcome
from jobplatform.domain.job import Job
from jobplatform.domain.job_status import JobStatus
from jobplatform.domain.tenant import TenantContext, TenantId
from jobplatform.infrastructure.container import Container
from jobplatform.infrastructure.db.engine import make_engine
from jobplatform.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from jobplatform.infrastructure.metrics import DEPENDENCY_ERRORS
from jobplatform.infrastructure.outcome_writer import OutcomeWriter
from support.tenants import TenantFixture
from support.unpublished_jobs import add_unpublished_job

# Longer than any test here lasts: a writer built with it writes only when told to.
NEVER_BY_ITSELF = 600.0
LEASE = timedelta(seconds=30)

MakeWriter = Callable[..., OutcomeWriter]


@pytest.fixture
def make_writer(container: Container) -> Iterator[MakeWriter]:
    """Outcome writers, each stopped at the end of the test (its thread ends)."""
    made: list[OutcomeWriter] = []

    def make(
        delay: float = NEVER_BY_ITSELF,
        uow_factory: UnitOfWorkFactory | None = None,
        quiet: float | None = None,
    ) -> OutcomeWriter:
        writer = OutcomeWriter(
            uow_factory or container.uow_factory, delay, max_batch=200, quiet_seconds=quiet
        )
        made.append(writer)
        return writer

    yield make
    for writer in made:
        writer.close()


def started(container: Container, tenant: TenantId, owner: str = "writer-test") -> Job:
    """A noop job of ``tenant``, its first attempt started by ``owner`` as a worker does."""
    queued = add_unpublished_job(container, tenant, "noop", {})
    now = container.clock.now()
    job = container.uow_factory.start_attempt(tenant, queued.id, now, owner, now + LEASE)
    assert job is not None and job.status is JobStatus.RUNNING
    return job


def succeeded_run(job: Job, ended: datetime) -> SucceededRun:
    """What JobRunner hands to the writer when ``job``'s current run succeeded."""
    assert job.started_at is not None
    finished = replace(job, status=JobStatus.SUCCEEDED, finished_at=ended, updated_at=ended)
    record = AttemptRecord(
        job_id=job.id,
        tenant_id=job.tenant_id,
        attempt=job.attempts,
        started_at=job.started_at,
        finished_at=ended,
        outcome=Outcome.SUCCEEDED.value,
        error_class=None,
        retry_delay=None,
    )
    return SucceededRun(job.tenant_id, finished, record)


def stored(
    container: Container, job_id: uuid.UUID, tenant: TenantId
) -> tuple[Job, list[tuple[int, str]]]:
    """The job as stored, and its logged attempts (number, outcome)."""
    job, attempts = get_job(job_id, TenantContext(tenant_id=tenant), container.uow_factory)
    return job, [(a.attempt, a.outcome) for a in attempts]


def test_runs_of_two_tenants_written_behind_are_all_recorded(
    container: Container,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    make_writer: MakeWriter,
) -> None:
    writer = make_writer(delay=0.05)
    runner = replace(container.runner, deferred=writer)
    jobs = {
        add_unpublished_job(container, t.id, "noop", {}).id: t.id
        for t in (tenant, other_tenant, tenant, other_tenant, tenant)
    }
    for job_id, tenant_id in jobs.items():
        result = runner.run(job_id, TenantContext(tenant_id=tenant_id), owner="writer-test")
        assert result.outcome is Outcome.SUCCEEDED and result.attempt == 1

    def all_recorded() -> bool:
        return all(
            stored(container, job_id, t)[0].status is JobStatus.SUCCEEDED
            for job_id, t in jobs.items()
        )

    wait_for(all_recorded, timeout=30, what="every written-behind outcome to be stored")
    for job_id, tenant_id in jobs.items():
        job, logged = stored(container, job_id, tenant_id)
        assert job.attempts == 1 and logged == [(1, "succeeded")]
        assert job.lease_owner is None and job.finished_at is not None
    assert writer.pending() == 0


def test_a_process_gone_quiet_writes_without_waiting_out_the_delay(
    container: Container, tenant: TenantFixture, make_writer: MakeWriter
) -> None:
    """No run ends after this one: its outcome goes once the quiet interval passed, not after
    the delay (ten minutes here, longer than the wait below)."""
    job = started(container, tenant.id)
    writer = make_writer(delay=NEVER_BY_ITSELF, quiet=0.05)
    writer.defer(succeeded_run(job, container.clock.now()))
    wait_for(
        lambda: stored(container, job.id, tenant.id)[0].status is JobStatus.SUCCEEDED,
        timeout=60,
        what="the lone outcome to be written once the process went quiet",
    )
    assert writer.pending() == 0
    assert stored(container, job.id, tenant.id)[1] == [(1, "succeeded")]


def test_a_run_superseded_by_another_is_not_recorded(
    container: Container, tenant: TenantFixture, make_writer: MakeWriter
) -> None:
    first = started(container, tenant.id, owner="first-worker")
    assert first.lease_expires_at is not None
    # The first run's lease ran out (its worker seemed gone): another worker took the job over.
    later = first.lease_expires_at + timedelta(seconds=1)
    second = container.uow_factory.start_attempt(
        tenant.id, first.id, later, "second-worker", later + LEASE
    )
    assert second is not None and second.attempts == 2
    writer = make_writer()
    writer.defer(succeeded_run(first, container.clock.now()))
    assert writer.flush() is True
    assert writer.pending() == 0
    job, logged = stored(container, first.id, tenant.id)
    assert job.status is JobStatus.RUNNING and job.attempts == 2
    assert job.lease_owner == "second-worker"
    assert logged == []


def test_a_write_the_database_refuses_is_kept(
    container: Container, tenant: TenantFixture, make_writer: MakeWriter
) -> None:
    jobs = [started(container, tenant.id), started(container, tenant.id)]
    # The same database, as seen through a port where nothing listens: only the writer's
    # store is unreachable, the runs are real.
    url = make_url(container.settings.database_url).set(port=free_port())
    engine = make_engine(url.render_as_string(hide_password=False), pool_size=1)
    try:
        writer = make_writer(uow_factory=SqlUnitOfWorkFactory(engine))
        for job in jobs:
            writer.defer(succeeded_run(job, container.clock.now()))
        assert writer.flush() is False
        assert writer.pending() == len(jobs)
        assert writer.flush() is False  # refused again: still kept, not lost, not doubled
        assert writer.pending() == len(jobs)
        for job in jobs:
            stored_job, logged = stored(container, job.id, tenant.id)
            assert stored_job.status is JobStatus.RUNNING and stored_job.attempts == 1
            assert logged == []
    finally:
        engine.dispose()


def test_a_database_that_refuses_writes_keeps_the_runs_and_the_writer_alive(
    container: Container, tenant: TenantFixture, make_writer: MakeWriter
) -> None:
    # The same database in read-only transactions, as after a failover onto a standby: the
    # write fails with an error that is not a lost connection.
    url = make_url(container.settings.database_url).update_query_dict(
        {"options": "-c default_transaction_read_only=on"}
    )
    engine = make_engine(url.render_as_string(hide_password=False), pool_size=1)
    try:
        job = started(container, tenant.id)
        writer = make_writer(delay=0.01, uow_factory=SqlUnitOfWorkFactory(engine))
        writer.defer(succeeded_run(job, container.clock.now()))
        failures = DEPENDENCY_ERRORS.labels("outcome-writer")
        before = failures._value.get()
        # The writer's own thread tries, fails, and tries again after its backoff.
        wait_for(lambda: failures._value.get() >= before + 2, timeout=30, what="two refusals")
        assert writer.pending() == 1
        assert writer.flush() is False
        stored_job, logged = stored(container, job.id, tenant.id)
        assert stored_job.status is JobStatus.RUNNING and logged == []
    finally:
        engine.dispose()


def test_close_writes_what_is_pending(
    container: Container, tenant: TenantFixture, make_writer: MakeWriter
) -> None:
    jobs = [started(container, tenant.id) for _ in range(3)]
    # The thread alone would write a minute from now: whatever is stored below, close() wrote.
    writer = make_writer(delay=60.0)
    for job in jobs:
        writer.defer(succeeded_run(job, container.clock.now()))
    assert writer.close() is True
    assert writer.pending() == 0
    # At once: close() returned after the write, nothing is left to wait for.
    for job in jobs:
        stored_job, logged = stored(container, job.id, tenant.id)
        assert stored_job.status is JobStatus.SUCCEEDED and logged == [(1, "succeeded")]
