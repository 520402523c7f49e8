"""Webhook delivery's rules: the signed request, and what each answer means.

The receiver checks ``Webhook-Signature`` = ``v1=`` + hex HMAC-SHA256 of the secret over
``<Webhook-Timestamp>.<body>``, and rejects an old timestamp (a replay). ``Webhook-Id`` (the
job id) is the same on every attempt, so a receiver can drop a repeat.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from typing import Any

from jobplatform.domain.errors import NonRetryableError, RetryableError
from jobplatform.domain.tenant import TenantId
from jobplatform.domain.webhook_destinations import WebhookDestinationForbidden

SIGNATURE_HEADER = "Webhook-Signature"
TIMESTAMP_HEADER = "Webhook-Timestamp"
ID_HEADER = "Webhook-Id"
EVENT_HEADER = "Webhook-Event"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def body(delivery_id: uuid.UUID, tenant: TenantId, event: str, data: dict[str, Any]) -> bytes:
    """The request body: the same bytes on every attempt of one delivery."""
    document = {"id": str(delivery_id), "tenant_id": str(tenant), "event": event, "data": data}
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def signed_headers(
    secret: str, timestamp: int, payload: bytes, delivery_id: uuid.UUID, event: str
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        ID_HEADER: str(delivery_id),
        EVENT_HEADER: event,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, payload),
    }


@dataclass(frozen=True, slots=True)
class WebhookAnswer:
    """What one attempt got back: a status, or the network error that stood in its way, or
    why the platform refused to send it (``refused``: the destination is not allowed)."""

    status: int | None
    latency_ms: float
    retry_after: float | None = None
    error_class: str | None = None
    refused: str | None = None


class WebhookUnreachable(RetryableError):
    """No answer: refused, reset, timed out. The receiver may be back soon."""


class WebhookServerError(RetryableError):
    """5xx: the receiver's own trouble."""


class WebhookThrottled(RetryableError):
    """429: the receiver asks us to slow down (and maybe says for how long)."""


class WebhookRejected(NonRetryableError):
    """Any other non-2xx answer (410 Gone, 400, a redirect): sending again changes nothing."""


class UnknownWebhookEndpoint(NonRetryableError):
    """The tenant has no endpoint of that name."""


def check_answer(answer: WebhookAnswer) -> None:
    """Return for a delivered webhook; raise the failure class the answer stands for."""
    if answer.refused is not None:
        raise WebhookDestinationForbidden(answer.refused)
    status = answer.status
    if status is None:
        raise WebhookUnreachable(answer.error_class or "no answer")
    if 200 <= status < 300:
        return
    if status == 429:
        throttled = WebhookThrottled(f"HTTP {status}")
        throttled.retry_after = answer.retry_after
        raise throttled
    if status >= 500:
        raise WebhookServerError(f"HTTP {status}")
    raise WebhookRejected(f"HTTP {status}")
