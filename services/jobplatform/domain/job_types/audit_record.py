"""Record one audit event, off the request path: the API enqueues it and answers at once;
a worker writes it. Recording the same job twice writes one event (its id is the job's)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from jobplatform.domain.job_types.spec import JobTypeSpec, Payload
from jobplatform.domain.queues import Queue
from jobplatform.domain.retry_policy import RetryPolicy


class AuditRecordPayload(Payload):
    action: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")
    # Who acted, as the caller names it (an API key id, a user id), and on what.
    actor: str | None = Field(default=None, max_length=200)
    subject: str | None = Field(default=None, max_length=200)
    data: dict[str, Any] = Field(default_factory=dict)


AUDIT_RECORD = JobTypeSpec(
    name="audit.record",
    queue=Queue.DEFAULT,
    payload_model=AuditRecordPayload,
    retry_policy=RetryPolicy(max_retries=5, backoff_factor=2.0, backoff_max=120.0),
    description="Writes one audit event for the tenant (enqueued, never on the request path).",
)
