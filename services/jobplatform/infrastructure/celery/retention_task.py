"""The retention sweep as a system task, fired by beat on the scheduled queue."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from celery import shared_task

from jobplatform.application.retention import PruneFinishedJobs, prune_finished_jobs
from jobplatform.infrastructure.celery.config import PRUNE_FINISHED_JOBS_TASK

log = structlog.get_logger("jobplatform.worker")


@shared_task(bind=True, name=PRUNE_FINISHED_JOBS_TASK)
def prune_finished_jobs_task(
    self: Any,
    older_than_seconds: float,
    batch_size: int,
    max_batches: int,
    shortest_seconds: float = 0.0,
) -> int:
    c = self.app.container
    deleted = prune_finished_jobs(
        PruneFinishedJobs(
            timedelta(seconds=older_than_seconds),
            batch_size,
            max_batches,
            timedelta(seconds=shortest_seconds),
        ),
        c.uow_factory,
        c.clock,
    )
    log.info("finished_jobs_pruned", deleted=deleted)
    return deleted
