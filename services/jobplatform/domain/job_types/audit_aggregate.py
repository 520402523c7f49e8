"""Audit aggregation: recount a tenant's audit events into per-day, per-action counts."""

from __future__ import annotations

from datetime import date
from typing import Self

from pydantic import model_validator

from jobplatform.domain.audit_days import MAX_DAY_SPAN
from jobplatform.domain.job_types.spec import JobTypeSpec, Payload
from jobplatform.domain.queues import Queue
from jobplatform.domain.retry_policy import RetryPolicy


class AuditAggregatePayload(Payload):
    # Both or neither: without a range the job recounts the days still open to new events
    # (what beat submits); with one, exactly those days (first_day..last_day, both included).
    first_day: date | None = None
    last_day: date | None = None

    @model_validator(mode="after")
    def _a_bounded_range(self) -> Self:
        if (self.first_day is None) != (self.last_day is None):
            raise ValueError("first_day and last_day go together")
        if self.first_day is not None and self.last_day is not None:
            if self.last_day < self.first_day:
                raise ValueError("last_day is before first_day")
            if (self.last_day - self.first_day).days >= MAX_DAY_SPAN:
                raise ValueError(f"a range spans at most {MAX_DAY_SPAN} days")
        return self


AUDIT_AGGREGATE = JobTypeSpec(
    name="audit.aggregate",
    queue=Queue.HEAVY,
    payload_model=AuditAggregatePayload,
    retry_policy=RetryPolicy(max_retries=5, backoff_factor=10.0, backoff_max=300.0),
    description=(
        "Recounts the tenant's audit events per day and action (first_day..last_day, or the "
        "days still open); a recount replaces the day's counts, so running it again is safe."
    ),
)
