"""Tenant B can neither see nor touch tenant A's jobs, by API, by SQL, or through Redis keys."""

from __future__ import annotations

import uuid

import httpx
import psycopg
import pytest
import redis

from jobplatform.domain.keys import tenant_key
from support.as_tenant import connect_as
from support.jobs import submit, wait_status
from support.tenants import TenantFixture


def test_other_tenant_cannot_read_list_or_replay(
    api: httpx.Client, tenant: TenantFixture, other_tenant: TenantFixture, platform: object
) -> None:
    job_id = submit(api, tenant, "diagnostic", {"non_retryable": True}).json()["job_id"]
    wait_status(api, tenant, job_id, "dead")
    letters = api.get("/v1/dead-letters", headers=tenant.headers).json()["items"]
    letter_id = next(x["id"] for x in letters if x["job_id"] == job_id)

    assert api.get(f"/v1/jobs/{job_id}", headers=other_tenant.headers).status_code == 404
    listed = api.get("/v1/jobs", headers=other_tenant.headers).json()["items"]
    assert job_id not in {j["id"] for j in listed}
    assert api.get("/v1/dead-letters", headers=other_tenant.headers).json()["items"] == []
    replay = api.post(f"/v1/dead-letters/{letter_id}/replay", headers=other_tenant.headers)
    assert replay.status_code == 404
    # The owner still sees it untouched.
    assert api.get(f"/v1/jobs/{job_id}", headers=tenant.headers).json()["status"] == "dead"


def test_body_tenant_id_other_than_the_keys_is_forbidden(
    api: httpx.Client, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    before = api.get("/v1/jobs", headers=tenant.headers).json()["items"]
    response = api.post(
        "/v1/jobs",
        headers=tenant.headers,
        json={"type": "noop", "payload": {}, "tenant_id": str(other_tenant.id)},
    )
    assert response.status_code == 403
    assert api.get("/v1/jobs", headers=tenant.headers).json()["items"] == before
    assert api.get("/v1/jobs", headers=other_tenant.headers).json()["items"] == []
    same = api.post(
        "/v1/jobs",
        headers=tenant.headers,
        json={"type": "noop", "payload": {}, "tenant_id": str(tenant.id)},
    )
    assert same.status_code == 202


def test_idempotency_keys_are_scoped_per_tenant(
    api: httpx.Client, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    a = submit(api, tenant, "noop", {}, **{"Idempotency-Key": "shared-key"})
    b = submit(api, other_tenant, "diagnostic", {}, **{"Idempotency-Key": "shared-key"})
    assert a.status_code == b.status_code == 202
    assert a.json()["job_id"] != b.json()["job_id"]


def test_row_level_security_hides_other_tenants_from_an_unfiltered_query(
    api: httpx.Client, tenant: TenantFixture, other_tenant: TenantFixture, database_url: str
) -> None:
    mine = submit(api, tenant, "noop").json()["job_id"]
    theirs = submit(api, other_tenant, "noop").json()["job_id"]
    with connect_as(database_url, tenant) as conn:
        # The forgotten filter: no WHERE tenant_id at all.
        ids = {str(r[0]) for r in conn.execute("SELECT id FROM jobs")}
        tenants = {str(r[0]) for r in conn.execute("SELECT tenant_id FROM jobs")}
        outbox_tenants = {str(r[0]) for r in conn.execute("SELECT tenant_id FROM outbox")}
    assert mine in ids and theirs not in ids
    assert tenants == {str(tenant.id)}
    # Equalities, not subsets: an empty result would pass a subset check.
    assert outbox_tenants == {str(tenant.id)}


def test_no_tenant_bound_means_no_rows_and_no_writes(
    api: httpx.Client, tenant: TenantFixture, database_url: str
) -> None:
    submit(api, tenant, "noop")
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM jobs").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO dead_letters (id, tenant_id, job_id, job_type, reason, "
                "attempts, created_at) VALUES (%s, %s, %s, 'x', 'x', 1, now())",
                (uuid.uuid4(), tenant.id.value, uuid.uuid4()),
            )


def test_tenant_event_keys_carry_the_tenant(
    api: httpx.Client,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    platform: object,
    redis_client: redis.Redis,
) -> None:
    job_id = submit(api, tenant, "diagnostic", {"emit_event": True}).json()["job_id"]
    wait_status(api, tenant, job_id, "succeeded")
    assert redis_client.llen(tenant_key(tenant.id, "events")) == 1
    assert redis_client.llen(tenant_key(other_tenant.id, "events")) == 0
    # The job's keys are under its own tenant and nothing was written under the other one.
    assert tenant_key(tenant.id, "events").encode() in set(
        redis_client.scan_iter(f"jobplatform:tenant:{tenant.id}:*")
    )
    assert list(redis_client.scan_iter(f"jobplatform:tenant:{other_tenant.id}:*")) == []
