"""Deliver one event to one of the tenant's webhook endpoints, signed with its secret.

The payload names the endpoint, not its URL or secret: both are the tenant's configuration,
and the secret is read by the worker from its reference when the job runs."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from jobplatform.domain.job_types.spec import JobTypeSpec, Payload
from jobplatform.domain.queues import Queue
from jobplatform.domain.retry_policy import RetryPolicy

ENDPOINT_NAME = r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$"


class WebhookDeliveryPayload(Payload):
    endpoint: str = Field(pattern=ENDPOINT_NAME)
    event: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")
    data: dict[str, Any] = Field(default_factory=dict)


WEBHOOK_DELIVERY = JobTypeSpec(
    name="webhook.deliver",
    queue=Queue.DEFAULT,
    payload_model=WebhookDeliveryPayload,
    # Network errors, 5xx and 429 are retried: about a minute of backoff in all before the
    # delivery is dead-lettered (and can be replayed).
    retry_policy=RetryPolicy(max_retries=5, backoff_factor=1.0, backoff_max=60.0),
    description="Posts a signed event to one of the tenant's webhook endpoints.",
)
