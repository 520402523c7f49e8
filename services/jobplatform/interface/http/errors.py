"""Every refusal is a 4xx with a message; an unexpected fault is logged and answered without
detail. Nothing here leaks a payload or a key."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from jobplatform.application.errors import Conflict, IdempotencyConflict, InvalidPayload, NotFound
from jobplatform.application.ports import StoreUnavailable
from jobplatform.domain.job_types.catalog import CATALOG, UnknownJobType

log = structlog.get_logger("jobplatform.http")


def _problem(
    status: int,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers)


def _clean(errors: list[Any]) -> list[dict[str, Any]]:
    # Echoing "input" would send secrets back and can hold values JSON cannot encode.
    return [
        {
            "loc": list(e.get("loc", ())),
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in errors
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _problem(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _problem(422, "request is not valid", _clean(list(exc.errors())))

    @app.exception_handler(UnknownJobType)
    async def unknown_type(_: Request, exc: UnknownJobType) -> JSONResponse:
        return _problem(
            422,
            f"unknown job type; known types: {', '.join(sorted(CATALOG))}",
            [{"loc": ["body", "type"], "msg": "unknown job type", "type": "unknown_job_type"}],
        )

    @app.exception_handler(InvalidPayload)
    async def invalid_payload(_: Request, exc: InvalidPayload) -> JSONResponse:
        return _problem(
            422,
            "payload is not valid for this job type",
            [
                {**e, "loc": ["body", "payload", *list(e["loc"])]}  # type: ignore[call-overload]
                for e in exc.errors
            ],
        )

    @app.exception_handler(IdempotencyConflict)
    async def idem_conflict(_: Request, exc: IdempotencyConflict) -> JSONResponse:
        return _problem(409, "Idempotency-Key was already used for a different request")

    @app.exception_handler(Conflict)
    async def conflict(_: Request, exc: Conflict) -> JSONResponse:
        return _problem(409, f"conflict: {exc}")

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return _problem(404, "not found")

    @app.exception_handler(StoreUnavailable)
    async def store_unavailable(_: Request, exc: StoreUnavailable) -> JSONResponse:
        # Nothing was stored: the client may send the same request again (with the same
        # Idempotency-Key, it cannot create a second job).
        log.warning("http_store_unavailable", error_class=str(exc))
        return _problem(
            503, "the job store is unavailable; retry shortly", headers={"Retry-After": "1"}
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("http_unexpected_error", error_class=type(exc).__name__, exc_info=exc)
        return _problem(500, "internal error")
