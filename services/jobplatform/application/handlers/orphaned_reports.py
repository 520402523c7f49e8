"""Reports whose job is gone: the retention sweep deletes a finished job's rows, and its
report (downloadable only through that job) is then of no use to anyone.

Only reports older than the orphan age are considered: a report being written belongs to a job
that exists, and the margin keeps a slow sweep from racing a fresh job. Safe to run twice or
concurrently (deleting a missing file is a no-op)."""

from __future__ import annotations

import uuid
from datetime import datetime

from jobplatform.application.handlers.job_run import JobRun
from jobplatform.domain.report import report_job_id
from jobplatform.domain.storage_key import StorageKey

REPORTS = "reports"
# Report names checked against the jobs per query: bounds one statement and its transaction.
BATCH = 500


def delete_orphaned_reports(run: JobRun, before: datetime) -> int:
    storage = run.services.require_storage()
    old: list[tuple[StorageKey, uuid.UUID]] = []
    for stored in storage.list_folder(run.context.tenant_id, REPORTS):
        job_id = report_job_id(stored.key.name)
        if job_id is not None and stored.modified_at < before:
            old.append((stored.key, job_id))
    deleted = 0
    for start in range(0, len(old), BATCH):
        batch = old[start : start + BATCH]
        with run.units.open() as uow:
            alive = uow.jobs.existing([job_id for _, job_id in batch])
        for key, job_id in batch:
            if job_id not in alive and storage.delete(key):
                deleted += 1
    return deleted
