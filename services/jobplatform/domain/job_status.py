"""The life cycle of a job and the transitions it allows."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    DEAD = "dead"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.DEAD})

# A job may start running from queued or retrying, and from running again when a worker died
# mid-job and the message was delivered once more.
RUNNABLE = frozenset({JobStatus.QUEUED, JobStatus.RETRYING, JobStatus.RUNNING})
