"""Generate a report of the tenant's jobs and audit events over a period, as a JSON Lines file
in the tenant's storage (GET /v1/jobs/{id}/report downloads it)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from jobplatform.domain.job_types.spec import JobTypeSpec, Payload
from jobplatform.domain.queues import Queue
from jobplatform.domain.report import ReportKind, ReportPeriod
from jobplatform.domain.retry_policy import RetryPolicy


class ReportGeneratePayload(Payload):
    # ISO 8601 instants with an offset, kept as given (the stored payload is plain JSON);
    # the period is start <= t < end.
    start: str = Field(max_length=64)
    end: str = Field(max_length=64)
    include: list[ReportKind] = Field(
        default_factory=lambda: [ReportKind.JOBS, ReportKind.AUDIT_EVENTS],
        min_length=1,
        max_length=len(ReportKind),
    )

    @model_validator(mode="after")
    def _period_and_kinds(self) -> Self:
        self.period()  # raises ValueError: 422 at submit
        if len(set(self.include)) != len(self.include):
            raise ValueError("include names each kind at most once")
        return self

    def period(self) -> ReportPeriod:
        return ReportPeriod.parse(self.start, self.end)


REPORT_GENERATE = JobTypeSpec(
    name="report.generate",
    queue=Queue.HEAVY,
    payload_model=ReportGeneratePayload,
    retry_policy=RetryPolicy(max_retries=3, backoff_factor=5.0, backoff_max=60.0),
    description=(
        "Writes the tenant's jobs and audit events of a period to a JSON Lines report "
        "(GET /v1/jobs/{id}/report)."
    ),
)
