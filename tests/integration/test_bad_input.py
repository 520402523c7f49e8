"""Bad input gets a 4xx with a message, never a 5xx, and nothing is stored or enqueued."""

from __future__ import annotations

import json
from typing import Any

import httpx
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.tenants import TenantFixture

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
job_types = st.sampled_from(["noop", "diagnostic", "maintenance.prune_idempotency_keys"]) | st.text(
    max_size=30
)
diagnostic_fields = st.fixed_dictionaries(
    {},
    optional={
        "sleep_seconds": json_values,
        "fail_times": json_values,
        "non_retryable": json_values,
        "emit_event": json_values,
        "secret_token": json_values,
        "unknown": json_values,
    },
)
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries({"type": job_types, "payload": json_values}),
    st.fixed_dictionaries(
        {"type": job_types, "payload": diagnostic_fields},
        optional={"tenant_id": json_values, "extra": json_values},
    ),
)


def _counts(database_url: str, tenant: TenantFixture) -> tuple[int, int]:
    with psycopg.connect(database_url) as conn:
        conn.execute("SELECT set_config('jobplatform.tenant_id', %s, false)", (str(tenant.id),))
        jobs = conn.execute("SELECT count(*) FROM jobs").fetchone()
        outbox = conn.execute("SELECT count(*) FROM outbox").fetchone()
        return int(jobs[0]), int(outbox[0])  # type: ignore[index]


# Header values an HTTP client can send at all: printable ASCII
# without surrounding blanks (inner spaces, over-long and empty values stay in).
header_values = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=300
).filter(lambda v: v == v.strip())


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=bodies, key=st.none() | header_values)
def test_fuzzed_submissions_never_5xx_and_store_only_valid_jobs(
    api: httpx.Client, tenant: TenantFixture, database_url: str, body: Any, key: str | None
) -> None:
    headers = dict(tenant.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    before = _counts(database_url, tenant)
    response = api.post(
        "/v1/jobs",
        content=json.dumps(body),
        headers={**headers, "Content-Type": "application/json"},
    )
    after = _counts(database_url, tenant)
    assert response.status_code < 500, response.text
    if response.status_code == 202:
        assert after[0] - before[0] <= 1 and after[1] - before[1] <= 1
    else:
        assert 400 <= response.status_code < 500
        assert isinstance(response.json()["detail"], str)
        assert after == before


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


def test_oversized_body_is_413(api: httpx.Client, tenant: TenantFixture, database_url: str) -> None:
    huge = {"type": "noop", "payload": {"x": "a" * 300_000}}
    assert api.post("/v1/jobs", json=huge, headers=tenant.headers).status_code == 413

    def chunks() -> Any:
        yield b'{"type": "noop", "payload": {"x": "'
        for _ in range(40):
            yield b"a" * 10_000
        yield b'"}}'

    chunked = api.post(
        "/v1/jobs", content=chunks(), headers={**tenant.headers, "Content-Type": "application/json"}
    )
    assert chunked.status_code == 413
    assert _counts(database_url, tenant) == (0, 0)


@pytest.mark.parametrize("auth", [None, "Bearer nope", "Basic abc", "Bearer jpk_x_y"])
def test_missing_or_unknown_key_is_401(api: httpx.Client, auth: str | None) -> None:
    headers = {} if auth is None else {"Authorization": auth}
    response = api.post("/v1/jobs", json={"type": "noop", "payload": {}}, headers=headers)
    assert response.status_code == 401
    assert api.get("/v1/jobs", headers=headers).status_code == 401


def test_revoked_key_is_401(api: httpx.Client, tenant: TenantFixture, container: Any) -> None:
    assert api.get("/v1/jobs", headers=tenant.headers).status_code == 200
    assert container.tenants.revoke_key(tenant.key_id)
    assert api.get("/v1/jobs", headers=tenant.headers).status_code == 401


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
    assert "/v1/jobs" in spec["paths"]
    assert api.get("/healthz").status_code == 200
    assert api.get("/readyz").json() == {"database": "ok"}
