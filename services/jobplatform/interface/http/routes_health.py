"""Liveness (the process answers) and readiness (it can reach Postgres)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from jobplatform.interface.http.dependencies import Adapters

router = APIRouter(tags=["health"])


@router.get("/healthz")
def liveness() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Postgres is not reachable."}})
def readiness(c: Adapters) -> JSONResponse:
    # Redis is not checked: the API keeps accepting jobs while the broker is down.
    ok = c.database_ready()
    return JSONResponse({"database": "ok" if ok else "unreachable"}, status_code=200 if ok else 503)
