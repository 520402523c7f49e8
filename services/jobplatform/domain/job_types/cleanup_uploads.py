"""Scheduled maintenance: delete a tenant's uploads that no import will read any more."""

from jobplatform.domain.job_types.spec import JobTypeSpec, Payload
from jobplatform.domain.queues import Queue
from jobplatform.domain.retry_policy import RetryPolicy


class CleanupUploadsPayload(Payload):
    pass


CLEANUP_UPLOADS = JobTypeSpec(
    name="maintenance.cleanup_uploads",
    queue=Queue.SCHEDULED,
    payload_model=CleanupUploadsPayload,
    retry_policy=RetryPolicy(max_retries=5, backoff_factor=10.0, backoff_max=300.0),
    description=(
        "Deletes the tenant's uploads older than the configured age that no unfinished "
        "import refers to."
    ),
    internal=True,
)
