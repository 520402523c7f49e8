"""Webhook delivery's rules without the network: signing, answers, Retry-After, the ledger."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from jobplatform.application.effects import EffectGuard
from jobplatform.application.tenant_units import TenantUnits
from jobplatform.domain import webhooks
from jobplatform.domain.errors import NonRetryableError, RetryableError
from jobplatform.domain.tenant import TenantId
from jobplatform.domain.webhook_destinations import DestinationPolicy
from jobplatform.infrastructure.webhooks.guarded_backend import GuardedNetworkBackend
from jobplatform.infrastructure.webhooks.httpx_sender import HttpxWebhookSender
from jobplatform.infrastructure.webhooks.resolver import resolve
from jobplatform.infrastructure.webhooks.tls import webhook_ssl_context
from unit.fakes import FakeClock, FakeUowFactory


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = b'{"a":1}'
    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert webhooks.signature("s3cret", 1_700_000_000, body) == "v1=" + expected
    assert webhooks.signature("s3cret", 1_700_000_001, body) != "v1=" + expected
    headers = webhooks.signed_headers("s3cret", 1_700_000_000, body, uuid.uuid4(), "e")
    assert "s3cret" not in str(headers)


@pytest.mark.parametrize(
    ("status", "failure"),
    [
        (200, None),
        (204, None),
        (None, webhooks.WebhookUnreachable),
        (500, webhooks.WebhookServerError),
        (503, webhooks.WebhookServerError),
        (429, webhooks.WebhookThrottled),
        (410, webhooks.WebhookRejected),
        (400, webhooks.WebhookRejected),
        (404, webhooks.WebhookRejected),
        (301, webhooks.WebhookRejected),
    ],
)
def test_answers_map_to_delivered_retry_or_give_up(
    status: int | None, failure: type[Exception] | None
) -> None:
    answer = webhooks.WebhookAnswer(status=status, latency_ms=1.0, retry_after=7.0)
    if failure is None:
        webhooks.check_answer(answer)
        return
    with pytest.raises(failure) as raised:
        webhooks.check_answer(answer)
    retryable = status is None or status == 429 or status >= 500
    assert isinstance(raised.value, RetryableError if retryable else NonRetryableError)
    if status == 429:
        assert raised.value.retry_after == 7.0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("value", "low", "high"),
    [
        (None, None, None),
        ("", None, None),
        ("12", 12.0, 12.0),
        ("100000", 300.0, 300.0),  # capped
        ("soon", None, None),
        # An HTTP date, seconds from now (made when the test runs, not when it is collected).
        (60, 50.0, 60.0),
        (-60, 0.0, 0.0),
    ],
)
def test_retry_after_in_seconds_or_as_a_date_is_capped(
    value: str | int | None, low: float | None, high: float | None
) -> None:
    if isinstance(value, int):
        value = format_datetime(datetime.now(UTC) + timedelta(seconds=value), usegmt=True)
    got = HttpxWebhookSender(
        5.0, 300.0, GuardedNetworkBackend(DestinationPolicy(), resolve), webhook_ssl_context(None)
    )._retry_after(value)
    if low is None:
        assert got is None
    else:
        assert got is not None and low <= got <= (high or 0)


def test_a_failed_effect_gives_its_claim_back_and_a_done_one_keeps_it() -> None:
    uow, clock = FakeUowFactory(), FakeClock()
    tenant, job_id = TenantId(uuid.uuid4()), uuid.uuid4()
    guard = EffectGuard(job_id, TenantUnits(uow, tenant), clock)
    ran: list[int] = []

    def failing() -> None:
        ran.append(1)
        raise webhooks.WebhookServerError("HTTP 503")

    with pytest.raises(webhooks.WebhookServerError):
        guard.attempt("webhook-delivery", failing)
    assert (tenant, job_id, "webhook-delivery") not in uow.store.effects
    assert guard.attempt("webhook-delivery", lambda: ran.append(2)) is True
    # Delivered: a redelivery of the job does not post again.
    assert guard.attempt("webhook-delivery", lambda: ran.append(3)) is False
    assert ran == [1, 2]
