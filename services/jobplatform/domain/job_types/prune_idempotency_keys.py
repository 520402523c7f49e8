"""Scheduled maintenance: forget a tenant's expired idempotency keys."""

from jobplatform.domain.job_types.spec import JobTypeSpec, Payload
from jobplatform.domain.queues import Queue
from jobplatform.domain.retry_policy import RetryPolicy


class PruneIdempotencyKeysPayload(Payload):
    pass


PRUNE_IDEMPOTENCY_KEYS = JobTypeSpec(
    name="maintenance.prune_idempotency_keys",
    queue=Queue.SCHEDULED,
    payload_model=PruneIdempotencyKeysPayload,
    retry_policy=RetryPolicy(max_retries=5, backoff_factor=10.0, backoff_max=300.0),
    description="Deletes the tenant's idempotency keys past their expiry.",
    internal=True,
)
