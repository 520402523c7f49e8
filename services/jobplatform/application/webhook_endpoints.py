"""Use cases: a tenant configures its webhook endpoints and reads a delivery's attempts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from jobplatform.application.errors import NotFound
from jobplatform.application.ports import Clock, UnitOfWorkFactory
from jobplatform.application.webhooks import (
    WebhookAttempt,
    WebhookDestinationCheck,
    WebhookEndpoint,
)
from jobplatform.domain.tenant import TenantContext


def put_webhook_endpoint(
    endpoint: WebhookEndpoint,
    ctx: TenantContext,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    destinations: WebhookDestinationCheck,
) -> None:
    """Store the endpoint; raises WebhookDestinationForbidden for a URL the platform does not
    post to (each delivery checks again: what a name resolves to can change)."""
    destinations.check(endpoint.url)
    with uow_factory.for_tenant(ctx.tenant_id) as uow:
        uow.webhook_endpoints.put(endpoint, clock.now())
        uow.commit()


def get_webhook_endpoint(
    name: str, ctx: TenantContext, uow_factory: UnitOfWorkFactory
) -> WebhookEndpoint:
    with uow_factory.for_tenant(ctx.tenant_id) as uow:
        endpoint = uow.webhook_endpoints.get(name)
    if endpoint is None:
        raise NotFound(f"webhook endpoint {name}")
    return endpoint


def webhook_attempts(
    job_id: uuid.UUID, ctx: TenantContext, uow_factory: UnitOfWorkFactory
) -> Sequence[WebhookAttempt]:
    with uow_factory.for_tenant(ctx.tenant_id) as uow:
        if uow.jobs.get(job_id) is None:
            raise NotFound(f"job {job_id}")
        return uow.webhook_attempts.for_job(job_id)
