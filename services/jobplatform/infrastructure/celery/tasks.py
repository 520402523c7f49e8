"""Celery tasks: thin entrypoints that hand over to the application layer."""

from __future__ import annotations

import random
import time
import uuid
from typing import Any

import structlog
from celery import shared_task

from jobplatform.application import tenant_context
from jobplatform.application.run_job import Outcome
from jobplatform.application.schedule import FanOut, fan_out
from jobplatform.infrastructure.celery.config import RUN_JOB_TASK, SCHEDULE_FAN_OUT_TASK
from jobplatform.infrastructure.celery.outcomes import record_outcome
from jobplatform.infrastructure.celery.tenant_task import TenantTask, message_headers
from jobplatform.infrastructure.metrics import DEPENDENCY_ERRORS

log = structlog.get_logger("jobplatform.worker")

# Waits before delivering again a job whose state could not be read or written.
STATE_RETRY_FIRST, STATE_RETRY_CAP = 1.0, 30.0


@shared_task(bind=True, base=TenantTask, name=RUN_JOB_TASK)
def run_job(self: Any, job_id: str, ticket: object = None) -> None:
    job = uuid.UUID(job_id)
    # The context the task base rebuilt from this message's headers, passed on explicitly.
    ctx = tenant_context.require()
    c = self.app.container
    delivery = self.request.delivery_info or {}
    checked = None
    if ticket is not None and c.run_tickets is not None:
        redelivered = bool(delivery.get("redelivered"))
        checked = c.run_tickets.check(ticket, job, ctx.tenant_id, redelivered, c.clock.now())
    try:
        result = c.runner.run(job, ctx, owner=self.request.hostname or "unknown", ticket=checked)
    except Exception as exc:
        # The job's state could not be read or recorded (the database is unreachable, or a
        # connection broke mid-way). Never ack such a message: publish it again after a
        # backoff, with the same id and headers. Celery's retry cap is lifted: the job's own
        # retry budget lives in Postgres and is untouched by this.
        DEPENDENCY_ERRORS.labels("worker").inc()
        delay = min(STATE_RETRY_CAP, STATE_RETRY_FIRST * 2 ** min(self.request.retries, 8))
        delay *= random.uniform(0.5, 1.0)
        log.warning(
            "job_state_unavailable", error_class=type(exc).__name__, retry_in=round(delay, 2)
        )
        # kwargs={}: the ticket was for the first delivery only; this one reads the job.
        raise self.retry(countdown=delay, max_retries=None, exc=exc, kwargs={}) from exc
    queue = delivery.get("routing_key") or "unknown"
    record_outcome(result, queue, c.queue_stats)
    if result.outcome is Outcome.RETRY:
        # Same task id and headers (tenant included), countdown from the job type's policy;
        # the retry cap is the policy's, so Celery's own is lifted. No ticket (kwargs={}):
        # a retry reads its job.
        raise self.retry(countdown=result.retry_delay, max_retries=None, kwargs={})


@shared_task(bind=True, name=SCHEDULE_FAN_OUT_TASK)
def schedule_fan_out(self: Any, schedule_name: str, job_type: str, interval: float) -> int:
    """System task fired by beat: one job per tenant, at most one per tick slot."""
    published = float(message_headers(self.request).get("published_at") or time.time())
    c = self.app.container
    return fan_out(
        FanOut(schedule_name=schedule_name, job_type=job_type, slot=int(published // interval)),
        c.uow_factory,
        c.clock,
        c.idempotency_ttl,
    )
