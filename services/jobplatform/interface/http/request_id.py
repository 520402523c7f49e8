"""X-Request-ID: taken from the client when well-formed, generated otherwise, returned on every
response (errors included) and stored on the job. asgi-correlation-id does the work."""

from __future__ import annotations

import re
import uuid

from asgi_correlation_id import CorrelationIdMiddleware, correlation_id
from starlette.types import ASGIApp

HEADER = "X-Request-ID"
VALID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def is_valid_request_id(value: str) -> bool:
    return bool(VALID.match(value))


def current_request_id() -> str:
    """The id of the request being handled (a fresh one outside a request)."""
    return correlation_id.get() or str(uuid.uuid4())


def request_id_middleware(app: ASGIApp) -> CorrelationIdMiddleware:
    return CorrelationIdMiddleware(
        app,
        header_name=HEADER,
        generator=lambda: str(uuid.uuid4()),
        validator=is_valid_request_id,
    )
