"""Scheduled maintenance: delete a tenant's raw audit events past the audit retention, once
their day's counts are written for good."""

from jobplatform.domain.job_types.spec import JobTypeSpec, Payload
from jobplatform.domain.queues import Queue
from jobplatform.domain.retry_policy import RetryPolicy


class AuditCompactPayload(Payload):
    pass


AUDIT_COMPACT = JobTypeSpec(
    name="maintenance.compact_audit_events",
    queue=Queue.SCHEDULED,
    payload_model=AuditCompactPayload,
    retry_policy=RetryPolicy(max_retries=5, backoff_factor=10.0, backoff_max=300.0),
    description="Seals each day's audit counts, then deletes the raw events past retention.",
    internal=True,
)
