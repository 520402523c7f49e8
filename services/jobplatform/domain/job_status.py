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

# A job may start from queued or retrying. A running job starts again only once its lease has
# expired (its worker died): a delivery while the lease is live is a duplicate and is dropped.
STARTABLE = frozenset({JobStatus.QUEUED, JobStatus.RETRYING})

# States in which work should be happening: the reconciler watches jobs in these.
IN_FLIGHT = frozenset({JobStatus.QUEUED, JobStatus.RETRYING, JobStatus.RUNNING})
