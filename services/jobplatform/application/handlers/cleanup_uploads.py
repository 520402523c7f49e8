"""Orphaned uploads: an upload whose import finished but whose worker stopped before deleting
it, or whose import was never submitted (the web stopped between storing and submitting).

Only uploads older than the configured age are considered, and of those only the ones no
unfinished import names are deleted: a queued or retrying import keeps its file however old.
Running it twice, or twice at once, deletes nothing more (deleting a missing file is a
no-op). The same sweep deletes reports whose job retention has deleted (orphaned_reports.py)."""

from __future__ import annotations

from datetime import timedelta

import structlog

from jobplatform.application.handlers.job_run import JobRun
from jobplatform.application.handlers.orphaned_reports import delete_orphaned_reports
from jobplatform.domain.job_types.cleanup_uploads import CleanupUploadsPayload

log = structlog.get_logger("jobplatform.cleanup")

UPLOADS = "uploads"
# Upload names checked against the jobs per query: bounds one statement and its transaction.
BATCH = 500


def handle_cleanup_uploads(payload: CleanupUploadsPayload, run: JobRun) -> None:
    storage = run.services.require_storage()
    before = run.clock.now() - timedelta(seconds=run.services.upload_orphan_age_seconds)
    old = [
        o.key for o in storage.list_folder(run.context.tenant_id, UPLOADS) if o.modified_at < before
    ]
    deleted = 0
    for start in range(0, len(old), BATCH):
        batch = old[start : start + BATCH]
        with run.units.open() as uow:
            in_use = uow.import_uploads.in_use([key.name for key in batch])
        for key in batch:
            if key.name not in in_use and storage.delete(key):
                deleted += 1
    log.info("orphaned_uploads_deleted", deleted=deleted, older_than=before.isoformat())
    reports = delete_orphaned_reports(run, before)
    log.info("orphaned_reports_deleted", deleted=reports, older_than=before.isoformat())
