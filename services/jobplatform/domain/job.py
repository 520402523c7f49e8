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

    @property
    def retries_done(self) -> int:
        """Retries already spent in the current series (0 while on the first attempt)."""
        return max(0, self.attempts - self.attempts_before_series - 1)
