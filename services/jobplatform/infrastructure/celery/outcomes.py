"""Counts each attempt's outcome in Prometheus and in the per-queue counters."""

from __future__ import annotations

from functools import cache
from typing import Any, Protocol

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


@cache
def _duration(job_type: str, queue: str) -> Any:
    # Looking a labelled child up costs more than the update itself, on every job.
    return JOB_DURATION.labels(job_type, queue)


@cache
def _outcomes(job_type: str, queue: str, outcome: str) -> Any:
    return JOB_OUTCOMES.labels(job_type, queue, outcome)


def record_outcome(result: RunResult, queue: str, counters: QueueCounters) -> None:
    if result.outcome is Outcome.SKIPPED:
        return
    job_type = result.job_type or "unknown"
    _duration(job_type, queue).observe(result.duration)
    _outcomes(job_type, queue, result.outcome.value).inc()
    if result.outcome is Outcome.RETRY:
        JOB_RETRIES.labels(job_type, queue).inc()
    if result.outcome is Outcome.DEAD:
        DEAD_LETTERS.labels(job_type, queue).inc()
    counters.increment(queue, _STAT_FIELD[result.outcome])
