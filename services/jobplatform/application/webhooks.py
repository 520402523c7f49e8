"""Webhook endpoints of a tenant, the attempts made to reach them, and the sending port."""

from __future__ import annotations

import abc
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from jobplatform.domain.webhooks import WebhookAnswer


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    name: str
    url: str
    # The name of the signing secret in the secret store; the secret itself is never stored.
    secret_ref: str
    timeout_seconds: float


@dataclass(frozen=True, slots=True)
class WebhookAttempt:
    job_id: uuid.UUID
    attempt: int
    endpoint: str
    status: int | None
    latency_ms: float
    error_class: str | None
    at: datetime


class WebhookEndpoints(abc.ABC):
    @abc.abstractmethod
    def get(self, name: str) -> WebhookEndpoint | None: ...

    @abc.abstractmethod
    def put(self, endpoint: WebhookEndpoint, at: datetime) -> None:
        """Create or replace the endpoint of that name."""


class WebhookAttempts(abc.ABC):
    @abc.abstractmethod
    def add(self, attempt: WebhookAttempt) -> None: ...

    @abc.abstractmethod
    def for_job(self, job_id: uuid.UUID) -> Sequence[WebhookAttempt]: ...


class WebhookSender(abc.ABC):
    @abc.abstractmethod
    def post(
        self, url: str, headers: dict[str, str], body: bytes, timeout_seconds: float
    ) -> WebhookAnswer:
        """POST once; a network error or timeout is an answer without a status, not a raise."""


class WebhookDestinationCheck(abc.ABC):
    @abc.abstractmethod
    def check(self, url: str) -> None:
        """Raise WebhookDestinationForbidden unless webhooks may be posted to ``url``."""
