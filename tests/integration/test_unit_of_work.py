"""The unit of work and row-level security against the real Postgres, in-process.

A tenant-scoped unit of work sees and writes only its tenant's rows, even through a query
that forgets its tenant filter; nothing is kept unless ``commit()`` is called.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy
from sqlalchemy import insert, text

from jobplatform.domain.job import Job
from jobplatform.domain.job_status import JobStatus
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.container import Container
from jobplatform.infrastructure.db import tables as t
from jobplatform.infrastructure.db.mapping import job_to_values
from jobplatform.infrastructure.db.unit_of_work import SqlUnitOfWork
from support.tenants import TenantFixture


def _job(tenant: TenantId) -> Job:
    now = datetime.now(UTC)
    return Job(
        id=uuid.uuid4(),
        tenant_id=tenant,
        type="noop",
        queue="default",
        payload={},
        status=JobStatus.QUEUED,
        attempts=0,
        attempts_before_series=0,
        request_id="uow-test",
        created_at=now,
        updated_at=now,
    )


def _unfiltered_job_ids(uow: SqlUnitOfWork) -> set[uuid.UUID]:
    # Stands for a repository query that forgot its tenant filter: only row-level security
    # stands between it and the other tenants' rows.
    return {r[0] for r in uow._conn.execute(text("SELECT id FROM jobs"))}


def test_a_tenant_unit_of_work_cannot_see_another_tenants_rows(
    container: Container, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    job = _job(tenant.id)
    with container.uow_factory.for_tenant(tenant.id) as uow:
        uow.jobs.add(job)
        uow.commit()
    with container.uow_factory.for_tenant(other_tenant.id) as uow:
        assert uow.jobs.get(job.id) is None
        assert uow.jobs.list(status=None, job_type=None, limit=50, before=None) == []
        assert job.id not in _unfiltered_job_ids(uow)
    with container.uow_factory.for_tenant(tenant.id) as uow:
        assert uow.jobs.get(job.id) is not None
        assert job.id in _unfiltered_job_ids(uow)


def test_a_tenant_unit_of_work_cannot_write_a_row_for_another_tenant(
    container: Container, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    # First wall: the repository refuses. Second wall: a raw insert that skips the
    # repository's check is refused by Postgres's row-level security.
    foreign = _job(other_tenant.id)
    with container.uow_factory.for_tenant(tenant.id) as uow, pytest.raises(PermissionError):
        uow.jobs.add(foreign)
    with (
        container.uow_factory.for_tenant(tenant.id) as uow,
        pytest.raises(sqlalchemy.exc.ProgrammingError, match="row-level security"),
    ):
        uow._conn.execute(insert(t.jobs).values(job_to_values(foreign)))
    with container.uow_factory.for_tenant(other_tenant.id) as uow:
        assert _unfiltered_job_ids(uow) == set()


def test_work_not_committed_is_rolled_back(container: Container, tenant: TenantFixture) -> None:
    kept, dropped, failed = _job(tenant.id), _job(tenant.id), _job(tenant.id)
    with container.uow_factory.for_tenant(tenant.id) as uow:
        uow.jobs.add(kept)
        uow.commit()
    with container.uow_factory.for_tenant(tenant.id) as uow:
        uow.jobs.add(dropped)  # no commit
    with pytest.raises(RuntimeError), container.uow_factory.for_tenant(tenant.id) as uow:
        uow.jobs.add(failed)
        raise RuntimeError("the use case failed before committing")
    with container.uow_factory.for_tenant(tenant.id) as uow:
        assert _unfiltered_job_ids(uow) == {kept.id}


def test_the_system_unit_of_work_sees_every_tenant(
    container: Container, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    with container.uow_factory.system() as system:
        tenants = set(system.tenant_ids())
    assert {tenant.id, other_tenant.id} <= tenants
