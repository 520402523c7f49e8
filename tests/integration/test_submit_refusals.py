"""``POST /v1/jobs`` refuses bad requests in one order, each with the field it names: a body
declared as JSON that does not parse (400), a body not declared as JSON (415), no usable API
key (401), then a body that is not a submission (422, located under ``body``). The route
resolves its inputs by hand (``SubmitRoute``); these are FastAPI's answers it must keep."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from jobplatform.infrastructure.container import Container
from jobplatform.interface.http.app import create_app
from support.as_tenant import count_rows
from support.tenants import TenantFixture

JSON = {"Content-Type": "application/json"}
NO_KEY: dict[str, str] = {}
BAD_KEY = {"Authorization": "Bearer jpk_x_y"}


@pytest.fixture(scope="module")
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container)) as c:
        yield c


@pytest.mark.parametrize(
    ("content", "headers", "status", "loc"),
    [
        # Parsing comes first: a broken JSON body is a 400 even without a key.
        (b'{"type": ', {**JSON, **NO_KEY}, 400, ["body", 9]),
        (b'{"type": "noop"}', {"Content-Type": "text/plain", **BAD_KEY}, 415, []),
        (b'{"type": "noop"}', {**BAD_KEY}, 415, []),
        # The key before the body's fields.
        (b'{"payload": {}}', {**JSON, **NO_KEY}, 401, []),
        (b'{"type": "noop"}', {**JSON, "Authorization": "Basic abc"}, 401, []),
        (b'{"type": "noop"}', {**JSON, **BAD_KEY}, 401, []),
    ],
)
def test_refusals_before_the_tenant_is_known(
    client: TestClient, content: bytes, headers: dict[str, str], status: int, loc: list[object]
) -> None:
    response = client.post("/v1/jobs", content=content, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["X-Request-ID"]
    assert loc in [e["loc"] for e in response.json()["errors"]]


@pytest.mark.parametrize(
    ("content", "loc", "type_"),
    [
        (b"", ["body"], "missing"),
        (b"[]", ["body"], "model_attributes_type"),
        (b'"noop"', ["body"], "model_attributes_type"),
        (b'{"payload": {}}', ["body", "type"], "missing"),
        (b'{"type": "noop", "surprise": 1}', ["body", "surprise"], "extra_forbidden"),
        (b'{"type": "noop", "payload": []}', ["body", "payload"], "dict_type"),
        (b'{"type": ""}', ["body", "type"], "string_too_short"),
        (b'{"type": "noop", "payload": {"a\\u0000": 1}}', ["body", "payload"], "value_error"),
    ],
)
def test_a_body_that_is_not_a_submission_is_422_at_its_field(
    client: TestClient,
    tenant: TenantFixture,
    database_url: str,
    content: bytes,
    loc: list[object],
    type_: str,
) -> None:
    response = client.post("/v1/jobs", content=content, headers={**tenant.headers, **JSON})
    assert response.status_code == 422, response.text
    assert [loc, type_] in [[e["loc"], e["type"]] for e in response.json()["errors"]]
    assert count_rows(database_url, tenant, "jobs") == 0


def test_the_body_is_checked_before_the_idempotency_key(
    client: TestClient, tenant: TenantFixture
) -> None:
    headers = {**tenant.headers, **JSON, "Idempotency-Key": "has space"}
    bad_body = client.post("/v1/jobs", content=b'{"payload": {}}', headers=headers)
    assert bad_body.status_code == 422
    assert ["body", "type"] in [e["loc"] for e in bad_body.json()["errors"]]
    bad_key = client.post("/v1/jobs", content=b'{"type": "noop"}', headers=headers)
    assert bad_key.status_code == 422
    assert "Idempotency-Key" in bad_key.json()["detail"]


def test_a_json_media_type_with_parameters_or_a_suffix_is_accepted(
    client: TestClient, tenant: TenantFixture
) -> None:
    for media_type in ("application/json; charset=utf-8", "application/vnd.api+json"):
        response = client.post(
            "/v1/jobs",
            content=b'{"type": "noop"}',
            headers={**tenant.headers, "Content-Type": media_type},
        )
        assert response.status_code == 202, (media_type, response.text)
        assert response.headers["Location"] == f"/v1/jobs/{response.json()['job_id']}"
