"""Bodies over JOBPLATFORM_MAX_BODY_BYTES get a 413 in the documented shape, declared
(Content-Length) or streamed (counted while the route reads it), before anything is stored."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobplatform.interface.http.problem import problem


def _too_large(limit: int) -> str:
    return f"request body is larger than {limit} bytes"


class BodyLimitMiddleware:
    def __init__(
        self, app: ASGIApp, max_body_bytes: int, path_limits: Mapping[str, int] | None = None
    ):
        self.app = app
        self.default_limit = max_body_bytes
        # Exact paths with a limit of their own (an upload route), instead of the default.
        self.path_limits = dict(path_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.path_limits.get(scope.get("path", ""), self.default_limit)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            response = problem(413, _too_large(limit), type_="body_too_large")
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised inside the route's body read: the HTTP error handler answers it.
                    raise HTTPException(413, _too_large(limit))
            return message

        await self.app(scope, counted, send)
