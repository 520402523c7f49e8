"""POST /v1/jobs:batch through the HTTP API against real Postgres: all of a batch or none of
it, each item validated and placed in the error, idempotency keys per item."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from support.as_tenant import count_rows
from support.jobs import submit, wait_status
from support.tenants import TenantFixture

BATCH = "/v1/jobs:batch"


def _stored(database_url: str, tenant: TenantFixture) -> tuple[int, int]:
    return count_rows(database_url, tenant, "jobs"), count_rows(database_url, tenant, "outbox")


def _post(api: httpx.Client, tenant: TenantFixture, jobs: list[dict[str, Any]]) -> httpx.Response:
    return api.post(BATCH, json={"jobs": jobs}, headers=tenant.headers)


def _refused(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["detail"] and body["errors"]
    assert response.headers.get("X-Request-ID")
    return body


def test_a_batch_is_stored_in_order_with_its_outbox_and_runs(
    api: httpx.Client, tenant: TenantFixture, database_url: str, platform: object
) -> None:
    jobs = [{"type": "noop", "payload": {}} for _ in range(7)]
    jobs.append({"type": "diagnostic", "payload": {"sleep_seconds": 0}})
    response = _post(api, tenant, jobs)
    assert response.status_code == 202, response.text
    accepted = response.json()["jobs"]
    assert [a["created"] for a in accepted] == [True] * 8
    assert len({a["job_id"] for a in accepted}) == 8
    assert _stored(database_url, tenant) == (8, 8)
    # In the order sent: the last one is the diagnostic job.
    assert (
        api.get(f"/v1/jobs/{accepted[-1]['job_id']}", headers=tenant.headers).json()["type"]
        == "diagnostic"
    )
    for a in accepted:
        wait_status(api, tenant, a["job_id"], "succeeded")


def test_one_invalid_item_refuses_the_whole_batch_and_names_each_fault(
    api: httpx.Client, tenant: TenantFixture, database_url: str
) -> None:
    jobs = [
        {"type": "noop", "payload": {}},
        {"type": "diagnostic", "payload": {"sleep_seconds": -1}},
        {"type": "nope", "payload": {}},
        {"type": "maintenance.prune_idempotency_keys", "payload": {}},
    ]
    body = _refused(_post(api, tenant, jobs), 422)
    locs = [e["loc"] for e in body["errors"]]
    assert ["body", "jobs", 1, "payload", "sleep_seconds"] in locs
    assert ["body", "jobs", 2, "type"] in locs
    assert ["body", "jobs", 3, "type"] in locs
    assert not any(loc[:3] == ["body", "jobs", 0] for loc in locs)
    assert _stored(database_url, tenant) == (0, 0)


def test_malformed_batches_are_4xx_with_a_message_and_store_nothing(
    api: httpx.Client, tenant: TenantFixture, database_url: str, container: Any
) -> None:
    too_many = container.settings.batch_max_jobs + 1
    cases: list[tuple[Any, int]] = [
        ({"jobs": []}, 422),
        ({"jobs": [{"type": "noop", "payload": {}}] * too_many}, 422),
        ({"jobs": [{"type": "noop", "payload": {}, "tenant_id": "x"}]}, 422),
        ({"jobs": [{"type": "noop", "payload": {"a": "nul\x00"}}]}, 422),
        ({"jobs": [{"type": "noop", "idempotency_key": ""}]}, 422),
        ({"jobs": [{"type": "noop", "idempotency_key": "k" * 256}]}, 422),
        ({"jobs": "noop"}, 422),
        ({}, 422),
        ([], 422),
    ]
    for body, status in cases:
        _refused(api.post(BATCH, json=body, headers=tenant.headers), status)
    json_headers = {**tenant.headers, "Content-Type": "application/json"}
    _refused(api.post(BATCH, content=b'{"jobs": [', headers=json_headers), 400)
    _refused(
        api.post(BATCH, content=b"{}", headers={**tenant.headers, "Content-Type": "text/plain"}),
        415,
    )
    _refused(api.post(BATCH, json={"jobs": [{"type": "noop"}]}), 401)
    assert _stored(database_url, tenant) == (0, 0)


def test_the_same_key_twice_in_one_batch_is_refused(
    api: httpx.Client, tenant: TenantFixture, database_url: str
) -> None:
    jobs = [{"type": "noop", "idempotency_key": "a"}, {"type": "noop", "idempotency_key": "a"}]
    body = _refused(_post(api, tenant, jobs), 422)
    assert body["errors"][0]["loc"] == ["body", "jobs", 1, "idempotency_key"]
    assert _stored(database_url, tenant) == (0, 0)


def test_item_keys_replay_their_jobs_and_a_reused_key_refuses_the_batch(
    api: httpx.Client, tenant: TenantFixture, database_url: str
) -> None:
    single = submit(api, tenant, "noop", **{"Idempotency-Key": "shared"}).json()["job_id"]
    jobs = [
        {"type": "noop", "idempotency_key": "k1"},
        {"type": "noop"},
        {"type": "noop", "payload": {}, "idempotency_key": "shared"},
    ]
    first = _post(api, tenant, jobs)
    assert first.status_code == 202, first.text
    a = first.json()["jobs"]
    assert [x["created"] for x in a] == [True, True, False]
    assert a[2]["job_id"] == single  # the key is the same one the single submit used
    assert _stored(database_url, tenant) == (3, 3)

    again = _post(api, tenant, jobs).json()["jobs"]
    assert [x["created"] for x in again] == [False, True, False]
    assert again[0]["job_id"] == a[0]["job_id"]
    assert _stored(database_url, tenant) == (4, 4)

    # "k1" now names another request: the whole batch is refused, its new job not stored.
    reused = [{"type": "noop"}, {"type": "diagnostic", "idempotency_key": "k1"}]
    body = _refused(_post(api, tenant, reused), 409)
    assert body["errors"][0]["loc"] == ["body", "jobs", 1, "idempotency_key"]
    assert _stored(database_url, tenant) == (4, 4)


def test_a_batch_is_stored_for_the_key_s_tenant_only(
    api: httpx.Client, tenant: TenantFixture, other_tenant: TenantFixture, database_url: str
) -> None:
    accepted = _post(api, tenant, [{"type": "noop"}] * 3).json()["jobs"]
    assert _stored(database_url, other_tenant) == (0, 0)
    for a in accepted:
        uuid.UUID(a["job_id"])
        assert api.get(f"/v1/jobs/{a['job_id']}", headers=other_tenant.headers).status_code == 404
