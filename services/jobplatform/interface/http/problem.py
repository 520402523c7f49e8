"""The one shape of every error body: ``{"detail": str, "errors": [{loc, msg, type}]}``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi.responses import JSONResponse


def field_error(loc: Sequence[str | int], msg: str, type_: str) -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg, "type": type_}


def problem(
    status: int,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    *,
    type_: str = "error",
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """An error response; without field errors, ``errors`` holds one entry naming the problem."""
    body = {"detail": detail, "errors": errors or [field_error([], detail, type_)]}
    return JSONResponse(body, status_code=status, headers=headers)
