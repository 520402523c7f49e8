"""A job as the platform records it. Postgres holds it; this is its in-memory shape."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobplatform.domain.job_status import JobStatus
from jobplatform.domain.tenant import TenantId


@dataclass(slots=True)
class Job:
    id: uuid.UUID
    tenant_id: TenantId
    type: str
    queue: str
    payload: dict[str, Any]
    status: JobStatus
    attempts: int
    # Attempts made before the current series (set on replay): the retry budget restarts.
    attempts_before_series: int
    request_id: str | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error_class: str | None = None
    # The worker whose run holds the job, and until when (renewed while the run lasts).
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    # When a retrying job is due again.
    next_attempt_at: datetime | None = None
    # When a message was last queued for the job, and how often it was re-published since.
    dispatched_at: datetime | None = None
    redispatches: int = 0

    @property
    def retries_done(self) -> int:
        """Retries already spent in the current series (0 while on the first attempt)."""
        return max(0, self.attempts - self.attempts_before_series - 1)
