"""Counts each attempt's outcome in Prometheus and in the per-queue counters."""

from __future__ import annotations

from typing import Protocol

from jobplatform.application.run_job import Outcome, RunResult
from jobplatform.infrastructure.metrics import (
    DEAD_LETTERS,
    JOB_DURATION,
    JOB_OUTCOMES,
    JOB_RETRIES,
)


class QueueCounters(Protocol):
    """The per-queue counters the autoscaler reads (the composition root supplies them)."""

    def increment(self, queue: str, field: str) -> None: ...


_STAT_FIELD = {Outcome.SUCCEEDED: "succeeded", Outcome.RETRY: "retried", Outcome.DEAD: "dead"}


def record_outcome(result: RunResult, queue: str, counters: QueueCounters) -> None:
    if result.outcome is Outcome.SKIPPED:
        return
    job_type = result.job_type or "unknown"
    JOB_DURATION.labels(job_type, queue).observe(result.duration)
    JOB_OUTCOMES.labels(job_type, queue, result.outcome.value).inc()
    if result.outcome is Outcome.RETRY:
        JOB_RETRIES.labels(job_type, queue).inc()
    if result.outcome is Outcome.DEAD:
        DEAD_LETTERS.labels(job_type, queue).inc()
    counters.increment(queue, _STAT_FIELD[result.outcome])
