"""One delivery of a job run in this process as a worker runs it, for tests of what the task
publishes when the job asks to be retried."""

from __future__ import annotations

from typing import Any

import pytest
from celery.exceptions import Retry

from jobplatform.domain.job import Job
from jobplatform.infrastructure.celery.config import RUN_JOB_TASK
from jobplatform.infrastructure.container import Container


def deliver_expecting_retry(
    container: Container, job: Job, queue: str, hostname: str, **request: Any
) -> None:
    """Run one delivery of ``job`` routed as from ``queue`` with the given request fields
    (headers among them); the job must fail retryably, so Celery publishes its retry to
    ``queue`` from the task, not through the relay."""
    task = container.celery.tasks[RUN_JOB_TASK]
    task.push_request(
        id=str(job.id),
        args=[str(job.id)],
        kwargs={},
        called_directly=False,
        is_eager=False,
        hostname=hostname,
        delivery_info={"exchange": "", "routing_key": queue},
        **request,
    )
    try:
        with pytest.raises(Retry):
            task(str(job.id))
    finally:
        task.pop_request()
