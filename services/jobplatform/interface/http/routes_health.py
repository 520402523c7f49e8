"""Liveness (the process answers) and readiness (it can reach Postgres)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from jobplatform.infrastructure.container import Container
from jobplatform.interface.http.dependencies import get_container

router = APIRouter(tags=["health"])


@router.get("/healthz")
def liveness() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readiness(c: Annotated[Container, Depends(get_container)]) -> JSONResponse:
    # Redis is not checked: the API keeps accepting jobs while the broker is down.
    ok = c.database_ready()
    return JSONResponse({"database": "ok" if ok else "unreachable"}, status_code=200 if ok else 503)
