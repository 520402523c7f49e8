"""Web log lines carry the request id and, once the key is authenticated, the tenant id: the
access line included (docs/observability.md)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx

from devstack.wait import wait_for
from support.jobs import submit
from support.tenants import TenantFixture


def _web_lines(log_dir: Path, request_id: str) -> list[dict[str, Any]]:
    lines = []
    for path in log_dir.glob("web-*.log"):
        for raw in path.read_text().splitlines():
            if raw.startswith("{") and request_id in raw:
                lines.append(json.loads(raw))
    return lines


def test_every_line_of_an_authenticated_request_carries_its_tenant(
    api: httpx.Client, tenant: TenantFixture, log_dir: Path
) -> None:
    request_id = f"req-{uuid.uuid4().hex}"
    response = submit(api, tenant, "noop", **{"X-Request-ID": request_id})
    assert response.status_code == 202
    assert response.headers["X-Request-ID"] == request_id
    lines = wait_for(
        lambda: (
            [x for x in _web_lines(log_dir, request_id) if x["event"] == "http_request"]
            and _web_lines(log_dir, request_id)
        ),
        timeout=30,
        what="the request's access line",
    )
    assert {x.get("tenant_id") for x in lines} == {str(tenant.id)}


def test_a_refused_request_is_logged_with_its_id_and_no_tenant(
    api: httpx.Client, log_dir: Path
) -> None:
    request_id = f"req-{uuid.uuid4().hex}"
    response = api.get("/v1/jobs", headers={"X-Request-ID": request_id})
    assert response.status_code == 401
    assert response.headers["X-Request-ID"] == request_id
    (line,) = wait_for(lambda: _web_lines(log_dir, request_id), timeout=30, what="the line")
    assert line["event"] == "http_request" and line["status"] == 401
    assert "tenant_id" not in line


def test_a_malformed_request_id_is_replaced_not_echoed(api: httpx.Client) -> None:
    response = api.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert response.headers["X-Request-ID"] != "bad id with spaces"
    assert uuid.UUID(response.headers["X-Request-ID"])
