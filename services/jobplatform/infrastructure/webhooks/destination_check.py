"""The check made when a tenant registers an endpoint: the URL, and what its name resolves
to now. A name that does not resolve yet is accepted: every delivery checks again, on the
addresses it connects to (guarded_backend.py)."""

from __future__ import annotations

from jobplatform.application.webhooks import WebhookDestinationCheck
from jobplatform.domain.webhook_destinations import DestinationPolicy, destination
from jobplatform.infrastructure.webhooks.guarded_backend import Resolve


class ResolvingDestinationCheck(WebhookDestinationCheck):
    def __init__(self, policy: DestinationPolicy, resolve: Resolve):
        self._policy = policy
        self._resolve = resolve

    def check(self, url: str) -> None:
        target = destination(url)
        try:
            addresses = self._resolve(target.host, target.port)
        except OSError:
            return
        self._policy.check(addresses)
