"""Counts each attempt's outcome in Prometheus and in the per-queue Redis counters."""

from __future__ import annotations

import redis
import structlog

from jobplatform.application.run_job import Outcome, RunResult
from jobplatform.infrastructure.container import container
from jobplatform.infrastructure.metrics import (
    DEAD_LETTERS,
    JOB_DURATION,
    JOB_OUTCOMES,
    JOB_RETRIES,
)
from jobplatform.infrastructure.redis.worker_keys import queue_stats_key

log = structlog.get_logger("jobplatform.worker")

_STAT_FIELD = {Outcome.SUCCEEDED: "succeeded", Outcome.RETRY: "retried", Outcome.DEAD: "dead"}


def record_outcome(result: RunResult, queue: str) -> None:
    if result.outcome is Outcome.SKIPPED:
        return
    job_type = result.job_type or "unknown"
    JOB_DURATION.labels(job_type, queue).observe(result.duration)
    JOB_OUTCOMES.labels(job_type, queue, result.outcome.value).inc()
    if result.outcome is Outcome.RETRY:
        JOB_RETRIES.labels(job_type, queue).inc()
    if result.outcome is Outcome.DEAD:
        DEAD_LETTERS.labels(job_type, queue).inc()
    try:
        container().redis.hincrby(queue_stats_key(queue), _STAT_FIELD[result.outcome], 1)
    except redis.RedisError as exc:
        # The counter feeds the autoscaler; losing one increment must not fail the job.
        log.warning("queue_stats_failed", queue=queue, error_class=type(exc).__name__)
