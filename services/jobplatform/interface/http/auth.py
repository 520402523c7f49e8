"""API key authentication: ``Authorization: Bearer <key>`` -> the tenant. Nothing else names
the tenant of a request."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from jobplatform.domain.tenant import TenantContext
from jobplatform.infrastructure.container import Container
from jobplatform.interface.http.request_id import current_request_id

bearer = HTTPBearer(auto_error=False, description="An API key issued by `jobplatform keys issue`")


async def tenant_of_request(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> TenantContext:
    # Async on purpose: the tenant id is bound in the request's own context, so every later
    # log line of the request (the access line included) carries it. Only a key lookup that
    # is not remembered goes to the thread pool.
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "missing API key", headers={"WWW-Authenticate": "Bearer"})
    c: Container = request.app.state.container
    tenant = c.key_cache.remembered(credentials.credentials)
    if tenant is None:
        tenant = await run_in_threadpool(c.key_cache.tenant_for, credentials.credentials)
    if tenant is None:
        raise HTTPException(
            401, "unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"}
        )
    structlog.contextvars.bind_contextvars(tenant_id=str(tenant))
    return TenantContext(tenant_id=tenant, request_id=current_request_id())
