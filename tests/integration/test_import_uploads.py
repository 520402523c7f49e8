"""An import's upload lives as long as the import needs it: deleted once the import is over
(succeeded or dead; the error report stays), and the scheduled cleanup deletes old uploads no
unfinished import names, and old reports whose job retention deleted. Real web, relay,
workers, Postgres and storage directory."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from devstack.wait import wait_for
from jobplatform.domain.job_status import JobStatus
from jobplatform.domain.job_types.cleanup_uploads import CLEANUP_UPLOADS
from jobplatform.domain.job_types.csv_import import CSV_IMPORT
from jobplatform.infrastructure.container import Container
from support.jobs import run_internal_job, wait_status
from support.tenants import TenantFixture
from support.unpublished_jobs import add_unpublished_job

DAY = 86_400  # JOBPLATFORM_UPLOAD_ORPHAN_AGE_SECONDS of the suite's platform (the default)


def _uploads(storage_root: Path, tenant: TenantFixture) -> set[str]:
    folder = storage_root / str(tenant.id) / "uploads"
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def _import(api: httpx.Client, tenant: TenantFixture, body: bytes) -> dict[str, Any]:
    r = api.post(
        "/v1/imports", content=body, headers={**tenant.headers, "Content-Type": "text/csv"}
    )
    assert r.status_code == 202, r.text
    return wait_status(api, tenant, r.json()["job_id"], "succeeded", "dead")


def test_a_finished_import_deletes_its_upload_and_keeps_its_error_report(
    api: httpx.Client, tenant: TenantFixture, platform: object, storage_root: Path
) -> None:
    job = _import(api, tenant, b"id,email,name\nc1,one@example.test,One\nc2,bad,Two\n")
    assert job["status"] == "succeeded"
    upload = Path(job["payload"]["upload"]).name
    # Deleted right after the outcome is recorded: wait for it, not for a time.
    wait_for(lambda: upload not in _uploads(storage_root, tenant), timeout=30, what="deletion")
    report = api.get(f"/v1/jobs/{job['id']}", headers=tenant.headers).json()
    assert report["progress"]["error_report"] is True
    r = api.get(f"/v1/imports/{job['id']}/errors", headers=tenant.headers)
    assert r.status_code == 200 and "c2" not in r.text and "3," in r.text


def test_a_dead_import_deletes_its_upload_and_keeps_its_error_report(
    api: httpx.Client, tenant: TenantFixture, platform: object, storage_root: Path
) -> None:
    job = _import(api, tenant, b"id,email,name\n\xff\xfe,x,y\n")
    assert (job["status"], job["error_class"]) == ("dead", "ImportFileInvalid")
    upload = Path(job["payload"]["upload"]).name
    wait_for(lambda: upload not in _uploads(storage_root, tenant), timeout=30, what="deletion")
    r = api.get(f"/v1/imports/{job['id']}/errors", headers=tenant.headers)
    assert r.status_code == 200 and "UTF-8" in r.text


def _stored_upload(storage_root: Path, tenant: TenantFixture, age_seconds: float) -> str:
    """An upload file as POST /v1/imports stores it, last written ``age_seconds`` ago."""
    name = f"{uuid.uuid4().hex}.csv"
    folder = storage_root / str(tenant.id) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"id,email,name\n")
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return name


def test_the_scheduled_cleanup_deletes_old_uploads_no_unfinished_import_names(
    api: httpx.Client,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    container: Container,
    platform: object,
    storage_root: Path,
) -> None:
    orphan = _stored_upload(storage_root, tenant, 2 * DAY)
    recent = _stored_upload(storage_root, tenant, 60)
    awaited = _stored_upload(storage_root, tenant, 2 * DAY)
    finished = _stored_upload(storage_root, tenant, 2 * DAY)
    theirs = _stored_upload(storage_root, other_tenant, 2 * DAY)
    # An import still queued (never published, so no worker takes it) needs its old upload;
    # one that is over does not.
    add_unpublished_job(
        container,
        tenant.id,
        CSV_IMPORT.name,
        {"upload": f"uploads/{awaited}"},
        internal_allowed=True,
    )
    done = add_unpublished_job(
        container,
        tenant.id,
        CSV_IMPORT.name,
        {"upload": f"uploads/{finished}"},
        internal_allowed=True,
    )
    with container.uow_factory.for_tenant(tenant.id) as uow:
        job = uow.jobs.get(done.id)
        assert job is not None
        job.status = JobStatus.SUCCEEDED
        uow.jobs.save(job)
        uow.commit()

    assert _uploads(storage_root, tenant) == {orphan, recent, awaited, finished}

    def cleanup() -> str:
        return run_internal_job(api, container, tenant, CLEANUP_UPLOADS.name)

    assert cleanup() == "succeeded"
    # The old orphan and the finished import's upload are gone; the rest stays.
    assert _uploads(storage_root, tenant) == {recent, awaited}
    assert _uploads(storage_root, other_tenant) == {theirs}  # another tenant's job, not this
    # Safe to run again: nothing more goes.
    assert cleanup() == "succeeded"
    assert _uploads(storage_root, tenant) == {recent, awaited}


def _stored_report(
    storage_root: Path, tenant: TenantFixture, job_id: uuid.UUID, age_seconds: float
) -> str:
    """A report file as report.generate stores it, last written ``age_seconds`` ago."""
    folder = storage_root / str(tenant.id) / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{job_id.hex}.jsonl"
    path.write_bytes(b'{"record": "job"}\n')
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path.name


def _reports(storage_root: Path, tenant: TenantFixture) -> set[str]:
    folder = storage_root / str(tenant.id) / "reports"
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def test_the_scheduled_cleanup_deletes_old_reports_whose_job_is_gone(
    api: httpx.Client,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    container: Container,
    platform: object,
    storage_root: Path,
) -> None:
    # A job that still exists keeps its report however old; a report whose job retention
    # deleted goes once it is older than the orphan age.
    kept_job = add_unpublished_job(container, tenant.id, "noop", {})
    kept = _stored_report(storage_root, tenant, kept_job.id, 2 * DAY)
    gone = _stored_report(storage_root, tenant, uuid.uuid4(), 2 * DAY)
    fresh = _stored_report(storage_root, tenant, uuid.uuid4(), 60)
    # Another tenant's job id does not keep this tenant's file (and theirs is not touched).
    theirs_job = add_unpublished_job(container, other_tenant.id, "noop", {})
    posing = _stored_report(storage_root, tenant, theirs_job.id, 2 * DAY)
    theirs = _stored_report(storage_root, other_tenant, uuid.uuid4(), 2 * DAY)

    def cleanup() -> str:
        return run_internal_job(api, container, tenant, CLEANUP_UPLOADS.name)

    assert _reports(storage_root, tenant) >= {kept, gone, fresh, posing}
    assert cleanup() == "succeeded"
    left = _reports(storage_root, tenant)
    assert kept in left and fresh in left
    assert gone not in left and posing not in left
    assert theirs in _reports(storage_root, other_tenant)
    assert cleanup() == "succeeded"
    assert _reports(storage_root, tenant) == left
