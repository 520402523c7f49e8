"""Webhook delivery: look up the tenant's endpoint, sign, post once per attempt, record it.

The effect ledger holds the delivery: a redelivered job whose post succeeded (or whose
worker died mid-post) does not post again; a failed post gives its claim back, so the next
attempt (network error, 5xx, 429) posts again with the same id and body."""

from __future__ import annotations

from jobplatform.application.handlers.job_run import JobRun
from jobplatform.application.webhooks import WebhookAttempt
from jobplatform.domain import webhooks
from jobplatform.domain.job_types.webhook_delivery import WebhookDeliveryPayload

EFFECT_KEY = "webhook-delivery"


def handle_webhook_delivery(payload: WebhookDeliveryPayload, run: JobRun) -> None:
    sender = run.services.require_webhooks()
    with run.units.open() as uow:
        endpoint = uow.webhook_endpoints.get(payload.endpoint)
    if endpoint is None:
        raise webhooks.UnknownWebhookEndpoint(payload.endpoint)
    secret = run.services.require_secrets().resolve(run.context.tenant_id, endpoint.secret_ref)
    job_id = run.job_id
    body = webhooks.body(job_id, run.context.tenant_id, payload.event, payload.data)

    def deliver() -> None:
        timestamp = int(run.clock.now().timestamp())
        headers = webhooks.signed_headers(secret, timestamp, body, job_id, payload.event)
        answer = sender.post(endpoint.url, headers, body, endpoint.timeout_seconds)
        with run.units.open() as uow:
            uow.webhook_attempts.add(
                WebhookAttempt(
                    job_id=job_id,
                    attempt=run.attempt,
                    endpoint=endpoint.name,
                    status=answer.status,
                    latency_ms=answer.latency_ms,
                    error_class=answer.error_class,
                    at=run.clock.now(),
                )
            )
            uow.commit()
        webhooks.check_answer(answer)

    run.effects.attempt(EFFECT_KEY, deliver)
