"""Bad input gets a 4xx with a message, never a 5xx, and nothing is stored or enqueued."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from devstack.wait import wait_for
from support.as_tenant import count_rows
from support.tenants import TenantFixture


def _counts(database_url: str, tenant: TenantFixture) -> tuple[int, int]:
    return count_rows(database_url, tenant, "jobs"), count_rows(database_url, tenant, "outbox")


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"type": "nope", "payload": {}}, 422, ["body", "type"]),
        (
            {"type": "diagnostic", "payload": {"sleep_seconds": -1}},
            422,
            ["body", "payload", "sleep_seconds"],
        ),
        ({"type": "diagnostic", "payload": {"surprise": 1}}, 422, ["body", "payload", "surprise"]),
        ({"payload": {}}, 422, ["body", "type"]),
    ],
)
def test_invalid_submissions_name_the_field(
    api: httpx.Client,
    tenant: TenantFixture,
    database_url: str,
    body: dict[str, Any],
    status: int,
    field: list[str],
) -> None:
    response = api.post("/v1/jobs", json=body, headers=tenant.headers)
    assert response.status_code == status
    assert field in [e["loc"] for e in response.json()["errors"]]
    assert _counts(database_url, tenant) == (0, 0)


def _is_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The documented error shape, with the request id header."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers.get("X-Request-ID")
    body: dict[str, Any] = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["errors"] and all(set(e) == {"loc", "msg", "type"} for e in body["errors"])
    return body


def test_oversized_body_is_413(api: httpx.Client, tenant: TenantFixture, database_url: str) -> None:
    huge = {"type": "noop", "payload": {"x": "a" * 300_000}}
    _is_problem(api.post("/v1/jobs", json=huge, headers=tenant.headers), 413)

    def chunks() -> Any:
        yield b'{"type": "noop", "payload": {"x": "'
        for _ in range(40):
            yield b"a" * 10_000
        yield b'"}}'

    chunked = api.post(
        "/v1/jobs", content=chunks(), headers={**tenant.headers, "Content-Type": "application/json"}
    )
    _is_problem(chunked, 413)
    assert _counts(database_url, tenant) == (0, 0)


def test_reused_idempotency_key_is_409_in_the_error_shape(
    api: httpx.Client, tenant: TenantFixture
) -> None:
    headers = {**tenant.headers, "Idempotency-Key": "reused"}
    assert api.post("/v1/jobs", json={"type": "noop"}, headers=headers).status_code == 202
    clash = api.post("/v1/jobs", json={"type": "diagnostic", "payload": {}}, headers=headers)
    body = _is_problem(clash, 409)
    assert body["errors"][0]["loc"] == ["header", "Idempotency-Key"]


@pytest.mark.parametrize(
    ("params", "loc"),
    [({"type": "no\x00pe"}, ["query"]), ({"cursor": "\x00"}, ["query"])],
)
def test_nul_in_a_query_parameter_is_422(
    api: httpx.Client, tenant: TenantFixture, params: dict[str, str], loc: list[str]
) -> None:
    body = _is_problem(api.get("/v1/jobs", params=params, headers=tenant.headers), 422)
    assert body["errors"][0]["loc"] == loc
    assert "NUL" in body["detail"]


def test_nul_in_a_payload_is_422_and_never_reaches_the_database_or_the_log(
    api: httpx.Client, tenant: TenantFixture, database_url: str, log_dir: Path
) -> None:
    secret = "nul-secret-4711"
    for payload in (
        {"secret_token": f"{secret}\x00rest"},
        {"nested\x00key": 1},
    ):
        response = api.post(
            "/v1/jobs", json={"type": "diagnostic", "payload": payload}, headers=tenant.headers
        )
        body = _is_problem(response, 422)
        assert "NUL" in json.dumps(body)
    assert _counts(database_url, tenant) == (0, 0)
    web_logs = "".join(p.read_text() for p in log_dir.glob("web-*.log"))
    assert secret not in web_logs


def test_nul_in_a_header_is_refused_with_a_4xx(web: str, tenant: TenantFixture) -> None:
    # No HTTP client sends a NUL in a header, so the request is written by hand.
    url = urlsplit(web)
    request = (
        b"GET /v1/jobs HTTP/1.1\r\nHost: x\r\n"
        + f"Authorization: Bearer {tenant.api_key}\r\n".encode()
        + b"X-Note: a\x00b\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request)
        status_line = sock.makefile("rb").readline()
    status = int(status_line.split()[1])
    assert 400 <= status < 500, status_line


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_not_declared_as_json_is_415(
    api: httpx.Client, tenant: TenantFixture, database_url: str, content_type: str | None
) -> None:
    headers = dict(tenant.headers)
    if content_type:
        headers["Content-Type"] = content_type
    response = api.post("/v1/jobs", content=b'{"type": "noop"}', headers=headers)
    _is_problem(response, 415)
    assert _counts(database_url, tenant) == (0, 0)


def test_malformed_json_is_400(api: httpx.Client, tenant: TenantFixture) -> None:
    response = api.post(
        "/v1/jobs",
        content=b'{"type": "noop", ',
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    _is_problem(response, 400)


def test_internal_job_types_cannot_be_submitted(
    api: httpx.Client, tenant: TenantFixture, database_url: str
) -> None:
    response = api.post(
        "/v1/jobs",
        json={"type": "maintenance.prune_idempotency_keys", "payload": {}},
        headers=tenant.headers,
    )
    body = _is_problem(response, 422)
    assert "maintenance.prune_idempotency_keys" not in body["detail"]
    assert _counts(database_url, tenant) == (0, 0)


@pytest.mark.parametrize("auth", [None, "Bearer nope", "Basic abc", "Bearer jpk_x_y"])
def test_missing_or_unknown_key_is_401(api: httpx.Client, auth: str | None) -> None:
    headers = {} if auth is None else {"Authorization": auth}
    response = api.post("/v1/jobs", json={"type": "noop", "payload": {}}, headers=headers)
    _is_problem(response, 401)
    _is_problem(api.get("/v1/jobs", headers=headers), 401)


def test_revoked_key_is_401_within_the_key_cache_time(
    api: httpx.Client, tenant: TenantFixture, container: Any
) -> None:
    assert api.get("/v1/jobs", headers=tenant.headers).status_code == 200  # now remembered
    assert container.tenants.revoke_key(tenant.key_id)
    # The web remembers a key for JOBPLATFORM_API_KEY_CACHE_SECONDS (its default here): the
    # revocation must take effect within that, plus slack for a loaded machine.
    wait_for(
        lambda: api.get("/v1/jobs", headers=tenant.headers).status_code == 401,
        timeout=container.settings.api_key_cache_seconds + 20,
        interval=0.5,
        what="the revoked key to be refused",
    )
    _is_problem(api.get("/v1/jobs", headers=tenant.headers), 401)


def test_pagination_and_filters(api: httpx.Client, tenant: TenantFixture) -> None:
    ids = [
        api.post("/v1/jobs", json={"type": "noop", "payload": {}}, headers=tenant.headers).json()[
            "job_id"
        ]
        for _ in range(5)
    ]
    page1 = api.get("/v1/jobs", params={"limit": 3}, headers=tenant.headers).json()
    page2 = api.get(
        "/v1/jobs", params={"limit": 3, "cursor": page1["next_cursor"]}, headers=tenant.headers
    ).json()
    seen = [j["id"] for j in page1["items"] + page2["items"]]
    assert sorted(seen) == sorted(ids) and len(set(seen)) == 5
    assert page2["next_cursor"] is None
    none = api.get("/v1/jobs", params={"type": "diagnostic"}, headers=tenant.headers).json()
    assert none["items"] == []
    assert (
        api.get("/v1/jobs", params={"status": "bogus"}, headers=tenant.headers).status_code == 422
    )
    assert (
        api.get("/v1/jobs", params={"cursor": "garbage"}, headers=tenant.headers).status_code == 422
    )


def test_secret_payload_fields_are_never_returned(api: httpx.Client, tenant: TenantFixture) -> None:
    job_id = api.post(
        "/v1/jobs",
        json={"type": "diagnostic", "payload": {"secret_token": "s3cr3t-value-123"}},
        headers=tenant.headers,
    ).json()["job_id"]
    body = api.get(f"/v1/jobs/{job_id}", headers=tenant.headers).text
    assert "s3cr3t-value-123" not in body
    assert "secret_token" in body


def test_openapi_and_health_are_served(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    submit_op = spec["paths"]["/v1/jobs"]["post"]
    assert {"202", "400", "401", "403", "409", "413", "415", "422", "500"} <= set(
        submit_op["responses"]
    )
    body_schema = spec["components"]["schemas"]["SubmitJobBody"]["properties"]["type"]
    assert "`noop`" in body_schema["description"] and "`diagnostic`" in body_schema["description"]
    assert "maintenance" not in body_schema["description"]
    cursor = next(
        p for p in spec["paths"]["/v1/jobs"]["get"]["parameters"] if p["name"] == "cursor"
    )
    assert "base64" in cursor["description"]
    assert api.get("/healthz").status_code == 200
    assert api.get("/readyz").json() == {"database": "ok"}
