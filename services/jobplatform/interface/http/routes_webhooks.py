"""/v1/webhook-endpoints: the tenant's endpoints; /v1/jobs/{id}/webhook-attempts: a
delivery's attempts (status and latency of each)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path

from jobplatform.application.audit_events import record_audit_event
from jobplatform.application.webhook_endpoints import (
    get_webhook_endpoint,
    put_webhook_endpoint,
    webhook_attempts,
)
from jobplatform.application.webhooks import WebhookEndpoint
from jobplatform.domain.job_types.webhook_delivery import ENDPOINT_NAME
from jobplatform.interface.http.dependencies import Adapters, JsonBody, Tenant
from jobplatform.interface.http.responses import error_responses
from jobplatform.interface.http.webhook_schemas import (
    WebhookAttemptPage,
    WebhookAttemptView,
    WebhookEndpointBody,
    WebhookEndpointView,
)

router = APIRouter(prefix="/v1", tags=["webhooks"])
EndpointName = Annotated[str, Path(pattern=ENDPOINT_NAME)]


def _view(endpoint: WebhookEndpoint) -> WebhookEndpointView:
    return WebhookEndpointView(
        name=endpoint.name,
        url=endpoint.url,
        secret_ref=endpoint.secret_ref,
        timeout_seconds=endpoint.timeout_seconds,
    )


@router.put(
    "/webhook-endpoints/{name}",
    response_model=WebhookEndpointView,
    responses=error_responses(415),
    dependencies=[JsonBody],
)
def put_endpoint(
    name: EndpointName, body: WebhookEndpointBody, ctx: Tenant, c: Adapters
) -> WebhookEndpointView:
    endpoint = WebhookEndpoint(
        name=name,
        url=str(body.url),
        secret_ref=body.secret_ref,
        timeout_seconds=body.timeout_seconds,
    )
    put_webhook_endpoint(endpoint, ctx, c.uow_factory, c.clock, c.webhook_destinations)
    # Audited off the request path: the event is a queued job, written by a worker.
    record_audit_event(
        "webhook_endpoint.updated",
        ctx,
        c.uow_factory,
        c.clock,
        c.idempotency_ttl,
        subject=name,
        data={"url": endpoint.url, "secret_ref": endpoint.secret_ref},
    )
    return _view(endpoint)


@router.get(
    "/webhook-endpoints/{name}",
    response_model=WebhookEndpointView,
    responses=error_responses(404),
)
def get_endpoint(name: EndpointName, ctx: Tenant, c: Adapters) -> WebhookEndpointView:
    return _view(get_webhook_endpoint(name, ctx, c.uow_factory))


@router.get(
    "/jobs/{job_id}/webhook-attempts",
    response_model=WebhookAttemptPage,
    responses=error_responses(404),
)
def attempts(job_id: uuid.UUID, ctx: Tenant, c: Adapters) -> WebhookAttemptPage:
    return WebhookAttemptPage(
        items=[
            WebhookAttemptView(
                attempt=a.attempt,
                endpoint=a.endpoint,
                status=a.status,
                latency_ms=a.latency_ms,
                error_class=a.error_class,
                at=a.at,
            )
            for a in webhook_attempts(job_id, ctx, c.uow_factory)
        ]
    )
