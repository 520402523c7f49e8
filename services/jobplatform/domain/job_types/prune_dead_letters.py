"""Scheduled maintenance: delete a tenant's dead letters past the retention period."""

from jobplatform.domain.job_types.spec import JobTypeSpec, Payload
from jobplatform.domain.queues import Queue
from jobplatform.domain.retry_policy import RetryPolicy


class PruneDeadLettersPayload(Payload):
    pass


PRUNE_DEAD_LETTERS = JobTypeSpec(
    name="maintenance.prune_dead_letters",
    queue=Queue.SCHEDULED,
    payload_model=PruneDeadLettersPayload,
    retry_policy=RetryPolicy(max_retries=5, backoff_factor=10.0, backoff_max=300.0),
    description="Deletes the tenant's dead letters older than the configured retention.",
    internal=True,
)
