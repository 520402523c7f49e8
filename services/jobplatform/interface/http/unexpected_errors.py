"""An unexpected fault becomes a 500 in the documented shape, inside the request-id middleware.

FastAPI answers a handler for ``Exception`` from its outermost layer, where the X-Request-ID
header is never added; this middleware sits inside it instead. The log line names the error
class and where it was raised, never its message: a database error's text can quote payload
data.
"""

from __future__ import annotations

import traceback

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobplatform.interface.http.problem import problem

log = structlog.get_logger("jobplatform.http")


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{last.filename}:{last.lineno} in {last.name}"


class UnexpectedErrorMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def note_start(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, note_start)
        except Exception as exc:
            log.error("http_unexpected_error", error_class=type(exc).__name__, where=_where(exc))
            if started:
                raise
            await problem(500, "internal error", type_="internal")(scope, receive, send)
