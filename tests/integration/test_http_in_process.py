"""The HTTP contract in-process: FastAPI's TestClient on the app the composition root wires,
against the real Postgres and Redis. No web process: a failure points at a route, not at a
port or a process (the process-level tests beside this file cover those)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from jobplatform.infrastructure.container import Container
from jobplatform.interface.http.app import create_app
from support.as_tenant import count_rows
from support.tenants import TenantFixture


@pytest.fixture(scope="module")
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container)) as c:
        yield c


def _problem(response: object, status: int) -> dict[str, object]:
    """The one error shape: detail plus a list of {loc, msg, type}, and a request id."""
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["X-Request-ID"]  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert isinstance(body["detail"], str) and body["detail"]
    errors = body["errors"]
    assert isinstance(errors, list) and errors
    assert all(set(e) == {"loc", "msg", "type"} for e in errors)
    return body


def test_submit_is_202_with_the_job_and_its_outbox_row(
    client: TestClient, tenant: TenantFixture, database_url: str
) -> None:
    response = client.post("/v1/jobs", json={"type": "noop", "payload": {}}, headers=tenant.headers)
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    assert response.json()["created"] is True
    assert response.headers["Location"] == f"/v1/jobs/{job_id}"
    where, params = "id = %s", (job_id,)
    assert count_rows(database_url, tenant, "jobs", where, params) == 1
    assert count_rows(database_url, tenant, "outbox", "job_id = %s", params) == 1
    read = client.get(f"/v1/jobs/{job_id}", headers=tenant.headers)
    # The session's relay and workers may run it meanwhile: its status is not asserted here.
    assert read.status_code == 200 and read.json()["id"] == job_id


def test_a_replayed_request_returns_the_same_job_and_stores_nothing_new(
    client: TestClient, tenant: TenantFixture, database_url: str
) -> None:
    headers = {**tenant.headers, "Idempotency-Key": f"k-{uuid.uuid4()}"}
    body = {"type": "diagnostic", "payload": {"emit_event": True}}
    first = client.post("/v1/jobs", json=body, headers=headers)
    second = client.post("/v1/jobs", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (202, 202)
    assert second.json()["job_id"] == first.json()["job_id"]
    assert second.json()["created"] is False
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count_rows(database_url, tenant, "jobs") == 1
    conflict = client.post(
        "/v1/jobs", json={"type": "noop", "payload": {}}, headers=headers
    )  # same key, another request
    _problem(conflict, 409)


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({}, {"type": "noop", "payload": {}}, 401),
        ({"Authorization": "Bearer not-a-key"}, {"type": "noop", "payload": {}}, 401),
        (None, {"type": "no-such-type", "payload": {}}, 422),
        (None, {"type": "diagnostic", "payload": {"surprise": 1}}, 422),
        (None, {"type": "noop", "payload": {}, "tenant_id": str(uuid.uuid4())}, 403),
    ],
    ids=["no-key", "unknown-key", "unknown-type", "extra-field", "foreign-tenant-in-body"],
)
def test_refusals_have_the_error_shape_and_store_nothing(
    client: TestClient,
    tenant: TenantFixture,
    database_url: str,
    headers: dict[str, str] | None,
    body: dict[str, object],
    status: int,
) -> None:
    response = client.post(
        "/v1/jobs", json=body, headers=tenant.headers if headers is None else headers
    )
    _problem(response, status)
    assert count_rows(database_url, tenant, "jobs") == 0
    assert count_rows(database_url, tenant, "outbox") == 0


def test_a_body_that_is_not_json_is_415(client: TestClient, tenant: TenantFixture) -> None:
    response = client.post(
        "/v1/jobs", content=b"type=noop", headers={**tenant.headers, "Content-Type": "text/plain"}
    )
    _problem(response, 415)


def test_a_tenant_cannot_read_or_list_another_tenants_jobs(
    client: TestClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    job_id = client.post(
        "/v1/jobs", json={"type": "noop", "payload": {}}, headers=tenant.headers
    ).json()["job_id"]
    _problem(client.get(f"/v1/jobs/{job_id}", headers=other_tenant.headers), 404)
    assert client.get("/v1/jobs", headers=other_tenant.headers).json()["items"] == []
    mine = client.get("/v1/jobs", headers=tenant.headers).json()["items"]
    assert [j["id"] for j in mine] == [job_id]
