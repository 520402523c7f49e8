"""Scheduled maintenance: delete a tenant's API keys that were revoked or expired long ago."""

from jobplatform.domain.job_types.spec import JobTypeSpec, Payload
from jobplatform.domain.queues import Queue
from jobplatform.domain.retry_policy import RetryPolicy


class PruneApiKeysPayload(Payload):
    pass


PRUNE_API_KEYS = JobTypeSpec(
    name="maintenance.prune_api_keys",
    queue=Queue.SCHEDULED,
    payload_model=PruneApiKeysPayload,
    retry_policy=RetryPolicy(max_retries=5, backoff_factor=10.0, backoff_max=300.0),
    description="Deletes the tenant's API keys revoked or expired longer ago than the "
    "configured retention.",
    internal=True,
)
