"""POST a signed webhook with httpx: one request per attempt, never a redirect followed.

A network error or a timeout is an answer without a status (the error's class name only:
an exception's text can quote the URL, and the headers it quotes carry the signature). A
destination the platform does not post to (webhook_destinations.py) is refused before any
connection is made: checked on the URL here, and on each resolved address by the guarded
network backend every connection goes through."""

from __future__ import annotations

import email.utils
import ssl
import time
from datetime import UTC, datetime

import httpx
import structlog

from jobplatform.application.webhooks import WebhookSender
from jobplatform.domain.webhook_destinations import WebhookDestinationForbidden, destination
from jobplatform.domain.webhooks import WebhookAnswer
from jobplatform.infrastructure.webhooks.guarded_backend import GuardedNetworkBackend
from jobplatform.infrastructure.webhooks.guarded_transport import GuardedTransport

log = structlog.get_logger("jobplatform.webhooks")


class HttpxWebhookSender(WebhookSender):
    def __init__(
        self,
        connect_timeout: float,
        retry_after_max: float,
        backend: GuardedNetworkBackend,
        ssl_context: ssl.SSLContext,
    ):
        self._ssl_context = ssl_context
        self._connect_timeout = connect_timeout
        self._retry_after_max = retry_after_max
        self._backend = backend

    def post(
        self, url: str, headers: dict[str, str], body: bytes, timeout_seconds: float
    ) -> WebhookAnswer:
        timeout = httpx.Timeout(
            timeout_seconds, connect=min(self._connect_timeout, timeout_seconds)
        )
        started = time.monotonic()
        try:
            destination(url)
            # A client per attempt: nothing of one tenant's connection serves another's.
            with httpx.Client(
                transport=GuardedTransport(self._backend, self._ssl_context),
                timeout=timeout,
                follow_redirects=False,
                trust_env=False,
            ) as client:
                response = client.post(url, content=body, headers=headers)
        except WebhookDestinationForbidden as exc:
            # The reason names the address, never the URL's path or query.
            log.warning("webhook_destination_refused", reason=str(exc))
            return WebhookAnswer(
                status=None,
                latency_ms=_ms_since(started),
                error_class=type(exc).__name__,
                refused=str(exc),
            )
        except httpx.HTTPError as exc:
            return WebhookAnswer(
                status=None, latency_ms=_ms_since(started), error_class=type(exc).__name__
            )
        return WebhookAnswer(
            status=response.status_code,
            latency_ms=_ms_since(started),
            retry_after=self._retry_after(response.headers.get("Retry-After")),
        )

    def _retry_after(self, value: str | None) -> float | None:
        """Seconds from a Retry-After of delta-seconds or an HTTP date, capped."""
        if not value:
            return None
        value = value.strip()
        seconds: float | None
        if value.isdigit():
            seconds = float(value)
        else:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            seconds = max(0.0, (when - datetime.now(UTC)).total_seconds())
        return min(seconds, self._retry_after_max)


def _ms_since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 3)
