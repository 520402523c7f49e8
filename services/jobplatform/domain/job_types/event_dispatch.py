"""Dispatch one domain event: submit the follow-up jobs the event map declares for it, in
the event's tenant and under its request id."""

from __future__ import annotations

from typing import Any, Self

from pydantic import Field, model_validator

from jobplatform.domain.events import EVENTS
from jobplatform.domain.job_types.spec import JobTypeSpec, Payload
from jobplatform.domain.queues import Queue
from jobplatform.domain.retry_policy import RetryPolicy


class EventDispatchPayload(Payload):
    name: str = Field(max_length=100)
    data: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_event_with_valid_data(self) -> Self:
        spec = EVENTS.get(self.name)
        if spec is None:
            raise ValueError(f"unknown event; one of {sorted(EVENTS)}")
        spec.data_model.model_validate(self.data)
        return self


EVENT_DISPATCH = JobTypeSpec(
    name="event.dispatch",
    queue=Queue.DEFAULT,
    payload_model=EventDispatchPayload,
    retry_policy=RetryPolicy(max_retries=5, backoff_factor=1.0, backoff_max=60.0),
    description="Submits the follow-up jobs a domain event triggers (see the event map).",
)
