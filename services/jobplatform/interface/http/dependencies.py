"""What routes declare they need, one word each (``Adapters``, ``Tenant``, ``JsonBody``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from jobplatform.domain.tenant import TenantContext
from jobplatform.infrastructure.container import Container
from jobplatform.interface.http.auth import tenant_of_request


# Async, though neither awaits: FastAPI runs a plain ``def`` dependency in the thread pool,
# one hand-off per dependency per request, for work that takes microseconds.
async def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def require_json(request: Request) -> None:
    """415 for a body that is not declared as JSON (checked before the body is validated)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise HTTPException(415, "the request body must be JSON (Content-Type: application/json)")


Adapters = Annotated[Container, Depends(get_container)]
Tenant = Annotated[TenantContext, Depends(tenant_of_request)]
JsonBody = Depends(require_json)
