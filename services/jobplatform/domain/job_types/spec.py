"""What the platform knows about a job type before it runs it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import get_args

from pydantic import BaseModel, ConfigDict, SecretStr

from jobplatform.domain.queues import Queue
from jobplatform.domain.retry_policy import RetryPolicy


class Payload(BaseModel):
    """Base of every payload: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, slots=True)
class JobTypeSpec:
    name: str
    queue: Queue
    payload_model: type[Payload]
    retry_policy: RetryPolicy
    # Shown in the API's OpenAPI document, next to the type's name.
    description: str = ""
    # Submitted only by the platform itself (scheduled maintenance), never by a tenant.
    internal: bool = False

    def holds_secrets(self, stored: dict[str, object]) -> bool:
        """Whether this stored payload may hold a secret: a secret field of the type is set
        (or nested in a field). Such a payload stays in Postgres and never travels in a
        broker message."""
        for name, info in self.payload_model.model_fields.items():
            if info.annotation in (SecretStr, SecretStr | None):
                if stored.get(name) is not None:
                    return True
            elif _annotation_holds_secrets(info.annotation):
                # A secret inside a list or a nested model: not worth telling apart.
                return True
        return False


def _annotation_holds_secrets(annotation: object) -> bool:
    if annotation is SecretStr:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return any(
            _annotation_holds_secrets(f.annotation) for f in annotation.model_fields.values()
        )
    return any(_annotation_holds_secrets(arg) for arg in get_args(annotation))


def stored_form(payload: Payload) -> dict[str, object]:
    """The payload as the worker needs it: secrets revealed (Postgres only, never logs/API)."""

    def reveal(value: object) -> object:
        if isinstance(value, SecretStr):
            return value.get_secret_value()
        if isinstance(value, date):  # and datetime: stored as JSON, parsed back by the model
            return value.isoformat()
        if isinstance(value, dict):
            return {k: reveal(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [reveal(v) for v in value]
        return value

    return {k: reveal(getattr(payload, k)) for k in type(payload).model_fields}


def public_form(payload: Payload) -> dict[str, object]:
    """The payload as the API shows it: secret fields masked."""
    return payload.model_dump(mode="json")
