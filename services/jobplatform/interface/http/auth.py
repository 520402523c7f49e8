"""API key authentication: ``Authorization: Bearer <key>`` -> the tenant. Nothing else names
the tenant of a request."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from jobplatform.application.api_keys import authenticate
from jobplatform.domain.tenant import TenantContext
from jobplatform.infrastructure.container import Container
from jobplatform.interface.http.dependencies import get_container
from jobplatform.interface.http.request_id import request_id_of

bearer = HTTPBearer(auto_error=False, description="An API key issued by `jobplatform keys issue`")


def tenant_of_request(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    c: Annotated[Container, Depends(get_container)],
) -> TenantContext:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "missing API key", headers={"WWW-Authenticate": "Bearer"})
    tenant = authenticate(c.tenants, credentials.credentials)
    if tenant is None:
        raise HTTPException(
            401, "unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"}
        )
    structlog.contextvars.bind_contextvars(tenant_id=str(tenant))
    return TenantContext(tenant_id=tenant, request_id=request_id_of(request))
