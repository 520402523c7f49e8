"""A NUL character (U+0000) in a query parameter or a header is a 422 before any route runs.

Postgres text and JSONB cannot hold NUL: such a value would otherwise fail inside the database,
whose error text quotes the value. Payload strings are checked by the request schema.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from jobplatform.interface.http.problem import field_error, problem

NUL_MESSAGE = "must not contain the NUL character (\\u0000)"


def has_nul(value: object) -> bool:
    """True when a string anywhere in a JSON-like value (keys included) holds U+0000."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


class NulGuardMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        errors = []
        if b"\x00" in unquote_to_bytes(scope.get("query_string", b"")):
            errors.append(field_error(["query"], f"query parameters {NUL_MESSAGE}", "nul_char"))
        for name, value in scope["headers"]:
            if b"\x00" in value:
                header = name.decode("latin-1")
                errors.append(field_error(["header", header], f"{NUL_MESSAGE}", "nul_char"))
        if errors:
            await problem(422, f"request {NUL_MESSAGE}", errors)(scope, receive, send)
            return
        await self.app(scope, receive, send)
