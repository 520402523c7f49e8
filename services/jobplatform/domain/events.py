"""Domain events and the follow-up jobs each one triggers: a small, declared map.

A follow-up turns the event's data into one job's payload, or None when the event does not
ask for it (no endpoint named, nobody to notify). Which jobs follow which event is read
here, in one place, not spread through handlers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from jobplatform.domain.email import ADDRESS, IMPORT_COMPLETED
from jobplatform.domain.job_types.email_send import EMAIL_SEND
from jobplatform.domain.job_types.spec import Payload
from jobplatform.domain.job_types.webhook_delivery import ENDPOINT_NAME, WEBHOOK_DELIVERY


class ImportCompleted(Payload):
    import_name: str = Field(min_length=1, max_length=200)
    rows: int = Field(ge=0)
    rejected: int = Field(ge=0)
    # Where to tell about it: one of the tenant's webhook endpoints, and people by email.
    webhook_endpoint: str | None = Field(default=None, pattern=ENDPOINT_NAME)
    notify: list[Annotated[str, StringConstraints(pattern=ADDRESS, max_length=254)]] = Field(
        default_factory=list, max_length=20
    )


@dataclass(frozen=True, slots=True)
class FollowUp:
    job_type: str
    payload: Callable[[Any], dict[str, Any] | None]


@dataclass(frozen=True, slots=True)
class EventSpec:
    name: str
    data_model: type[Payload]
    follow_ups: tuple[FollowUp, ...]


def _import_webhook(e: ImportCompleted) -> dict[str, Any] | None:
    if e.webhook_endpoint is None:
        return None
    data = {"import_name": e.import_name, "rows": e.rows, "rejected": e.rejected}
    return {"endpoint": e.webhook_endpoint, "event": "import.completed", "data": data}


def _import_email(e: ImportCompleted) -> dict[str, Any] | None:
    if not e.notify:
        return None
    variables = {"import_name": e.import_name, "rows": str(e.rows), "rejected": str(e.rejected)}
    return {"to": list(e.notify), "template": IMPORT_COMPLETED.name, "variables": variables}


EVENTS: Mapping[str, EventSpec] = MappingProxyType(
    {
        "import.completed": EventSpec(
            name="import.completed",
            data_model=ImportCompleted,
            follow_ups=(
                FollowUp(WEBHOOK_DELIVERY.name, _import_webhook),
                FollowUp(EMAIL_SEND.name, _import_email),
            ),
        ),
    }
)
