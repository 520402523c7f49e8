"""The route class of ``POST /v1/jobs``: the submit endpoint's inputs resolved by hand.

FastAPI resolves a route's declared inputs anew on every request, and for this route that
cost about a fifth of a submit's CPU (in FastAPI 0.165 most of it recomputing each
dependency's cache key through ``inspect.unwrap``). The endpoint keeps its declared signature,
so the OpenAPI document is unchanged; this class gives it the same values, checked in the same
order with the same errors:

1. a body declared as JSON that does not parse: 400 (FastAPI's ``json_invalid`` error);
2. a body not declared as JSON: 415 (``require_json``);
3. no usable API key: 401 (``tenant_of_request``);
4. a body that is not a ``SubmitJobBody``: 422, each error located under ``body``.

The endpoint's answer (``JobAccepted``) is sent with the route's status code and the headers
the endpoint set. A change to the endpoint's parameters fails at start, not per request.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Coroutine
from typing import Any

import pydantic
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from jobplatform.interface.http.auth import bearer, tenant_of_request
from jobplatform.interface.http.dependencies import require_json
from jobplatform.interface.http.schemas import SubmitJobBody

RESOLVED = {"body", "request", "response", "ctx", "idempotency_key"}


def _declares_json(content_type: str) -> bool:
    # As FastAPI decides whether to parse a body as JSON (application/json or +json).
    maintype, _, subtype = content_type.split(";")[0].strip().lower().partition("/")
    return maintype == "application" and (subtype == "json" or subtype.endswith("+json"))


def _body_errors(exc: pydantic.ValidationError) -> list[dict[str, Any]]:
    return [
        {"type": e["type"], "loc": ("body", *e["loc"]), "msg": e["msg"], "input": None}
        for e in exc.errors(include_url=False, include_input=False, include_context=False)
    ]


class SubmitRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = self.endpoint
        declared = set(inspect.signature(endpoint).parameters)
        if declared != RESOLVED:
            raise TypeError(f"{endpoint.__name__} declares {sorted(declared)}, not {RESOLVED}")
        status_code = self.status_code or 200

        async def handle(request: Request) -> Response:
            raw = await request.body()
            parsed: Any = None
            if raw and _declares_json(request.headers.get("content-type", "")):
                try:
                    parsed = json.loads(raw)
                except json.JSONDecodeError as e:
                    raise RequestValidationError(
                        [
                            {
                                "type": "json_invalid",
                                "loc": ("body", e.pos),
                                "msg": "JSON decode error",
                                "input": {},
                            }
                        ]
                    ) from None
            elif raw:
                parsed = raw
            await require_json(request)
            ctx = await tenant_of_request(request, await bearer(request))
            if not raw:
                missing = {"type": "missing", "loc": ("body",), "msg": "Field required"}
                raise RequestValidationError([{**missing, "input": None}])
            try:
                # As FastAPI validates a body model (its error types and messages).
                body = SubmitJobBody.model_validate(parsed, from_attributes=True)
            except pydantic.ValidationError as exc:
                raise RequestValidationError(_body_errors(exc)) from None
            sub_response = Response()
            del sub_response.headers["content-length"]
            result = await endpoint(
                body=body,
                request=request,
                response=sub_response,
                ctx=ctx,
                idempotency_key=request.headers.get("idempotency-key"),
            )
            answer = JSONResponse(result.model_dump(mode="json"), status_code=status_code)
            answer.raw_headers.extend(sub_response.raw_headers)
            return answer

        return handle
