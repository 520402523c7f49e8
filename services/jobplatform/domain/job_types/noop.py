"""A job that does nothing: the throughput probe of the whole platform path."""

from jobplatform.domain.job_types.spec import JobTypeSpec, Payload
from jobplatform.domain.queues import Queue
from jobplatform.domain.retry_policy import RetryPolicy


class NoopPayload(Payload):
    pass


NOOP = JobTypeSpec(
    name="noop",
    queue=Queue.DEFAULT,
    payload_model=NoopPayload,
    retry_policy=RetryPolicy(max_retries=3),
    description="Does nothing; measures the platform's own overhead.",
)
