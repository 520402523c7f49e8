"""Every refusal is a 4xx in the documented shape with a message. Nothing here echoes a
payload or a key."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from jobplatform.application.errors import Conflict, IdempotencyConflict, InvalidPayload, NotFound
from jobplatform.application.ports import StoreUnavailable
from jobplatform.domain.job_types.catalog import UnknownJobType, submittable_types
from jobplatform.domain.webhook_destinations import WebhookDestinationForbidden
from jobplatform.interface.http.problem import field_error, problem

log = structlog.get_logger("jobplatform.http")

# What each plain HTTPException status means, for the ``type`` of its one error entry.
STATUS_TYPES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid",
}


def _clean(errors: list[Any]) -> list[dict[str, Any]]:
    # Echoing "input" would send secrets back and can hold values JSON cannot encode.
    return [
        field_error(list(e.get("loc", ())), str(e.get("msg", "")), str(e.get("type", "")))
        for e in errors
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(
            exc.status_code,
            str(exc.detail),
            type_=STATUS_TYPES.get(exc.status_code, "error"),
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _clean(list(exc.errors()))
        if any(e["type"] == "json_invalid" for e in errors):
            return problem(400, "request body is not valid JSON", errors)
        return problem(422, "request is not valid", errors)

    @app.exception_handler(UnknownJobType)
    async def unknown_type(_: Request, exc: UnknownJobType) -> JSONResponse:
        return problem(
            422,
            f"unknown job type; known types: {', '.join(submittable_types())}",
            [field_error(["body", "type"], "unknown job type", "unknown_job_type")],
        )

    @app.exception_handler(InvalidPayload)
    async def invalid_payload(_: Request, exc: InvalidPayload) -> JSONResponse:
        return problem(
            422,
            "payload is not valid for this job type",
            [
                {**e, "loc": ["body", "payload", *list(e["loc"])]}  # type: ignore[call-overload]
                for e in exc.errors
            ],
        )

    @app.exception_handler(WebhookDestinationForbidden)
    async def forbidden_destination(_: Request, exc: WebhookDestinationForbidden) -> JSONResponse:
        # The reason names the scheme or the address at fault: the tenant's own URL's.
        message = f"webhooks are not sent to this URL: {exc}"
        return problem(
            422, message, [field_error(["body", "url"], message, "destination_forbidden")]
        )

    @app.exception_handler(IdempotencyConflict)
    async def idem_conflict(_: Request, exc: IdempotencyConflict) -> JSONResponse:
        message = "Idempotency-Key was already used for a different request"
        return problem(
            409, message, [field_error(["header", "Idempotency-Key"], message, "key_reused")]
        )

    @app.exception_handler(Conflict)
    async def conflict(_: Request, exc: Conflict) -> JSONResponse:
        return problem(409, f"conflict: {exc}", type_="conflict")

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return problem(404, "not found", type_="not_found")

    @app.exception_handler(StoreUnavailable)
    async def store_unavailable(_: Request, exc: StoreUnavailable) -> JSONResponse:
        # Nothing was stored: the client may send the same request again (with the same
        # Idempotency-Key, it cannot create a second job).
        log.warning("http_store_unavailable", error_class=str(exc))
        return problem(
            503,
            "the job store is unavailable; retry shortly",
            type_="store_unavailable",
            headers={"Retry-After": "1"},
        )
