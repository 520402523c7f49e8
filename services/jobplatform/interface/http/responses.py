"""The error statuses each route can answer, for the OpenAPI document."""

from __future__ import annotations

from typing import Any

from jobplatform.interface.http.schemas import Problem

MEANING = {
    400: "The body is not valid JSON.",
    401: "Missing, unknown or revoked API key.",
    403: "The body names another tenant than the API key's.",
    404: "No such resource for this tenant.",
    409: "Idempotency-Key reused for a different request, or a dead letter already replayed.",
    413: "The body is larger than JOBPLATFORM_MAX_BODY_BYTES.",
    415: "The body is not declared as JSON.",
    422: (
        "Unknown job type, invalid payload or parameter, a NUL character in a string, or a "
        "webhook URL the platform does not post to."
    ),
    500: "An unexpected fault (logged without request data).",
    503: "The job store cannot be reached; nothing was stored, retry (Retry-After).",
}
# Every route can meet these: authentication, request checks before routing, faults, and the
# job store being unreachable.
COMMON = (401, 413, 422, 500, 503)


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {
        code: {"model": Problem, "description": MEANING[code]} for code in sorted({*COMMON, *codes})
    }
