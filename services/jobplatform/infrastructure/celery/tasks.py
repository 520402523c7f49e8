"""Celery tasks: thin entrypoints that hand over to the application layer."""

from __future__ import annotations

import time
import uuid
from typing import Any

from celery import shared_task

from jobplatform.application.run_job import Outcome
from jobplatform.application.schedule import FanOut, fan_out
from jobplatform.infrastructure.celery.config import RUN_JOB_TASK, SCHEDULE_FAN_OUT_TASK
from jobplatform.infrastructure.celery.outcomes import record_outcome
from jobplatform.infrastructure.celery.tenant_task import TenantTask, message_headers
from jobplatform.infrastructure.container import container


@shared_task(bind=True, base=TenantTask, name=RUN_JOB_TASK)
def run_job(self: Any, job_id: str) -> None:
    result = container().runner.run(uuid.UUID(job_id))
    queue = (self.request.delivery_info or {}).get("routing_key") or "unknown"
    record_outcome(result, queue)
    if result.outcome is Outcome.RETRY:
        # Same task id and headers (tenant included), countdown from the job type's policy;
        # the retry cap is the policy's, so Celery's own is lifted.
        raise self.retry(countdown=result.retry_delay, max_retries=None)


@shared_task(bind=True, name=SCHEDULE_FAN_OUT_TASK)
def schedule_fan_out(self: Any, schedule_name: str, job_type: str, interval: float) -> int:
    """System task fired by beat: one job per tenant, at most one per tick slot."""
    published = float(message_headers(self.request).get("published_at") or time.time())
    c = container()
    return fan_out(
        FanOut(schedule_name=schedule_name, job_type=job_type, slot=int(published // interval)),
        c.uow_factory,
        c.clock,
        c.idempotency_ttl,
    )
