"""Idempotency: one job per key and request; an effect happens once even across a crash."""

from __future__ import annotations

import concurrent.futures

import httpx

from support.as_tenant import connect_as, count_rows
from support.jobs import submit
from support.tenants import TenantFixture


def _count_jobs(database_url: str, tenant: TenantFixture) -> int:
    return count_rows(database_url, tenant, "jobs")


def test_same_key_same_request_gives_one_job(
    api: httpx.Client, tenant: TenantFixture, database_url: str
) -> None:
    first = submit(api, tenant, "noop", {}, **{"Idempotency-Key": "order-42"})
    second = submit(api, tenant, "noop", {}, **{"Idempotency-Key": "order-42"})
    assert first.status_code == second.status_code == 202
    assert first.json()["job_id"] == second.json()["job_id"]
    assert first.json()["created"] is True and second.json()["created"] is False
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _count_jobs(database_url, tenant) == 1


def test_same_key_different_request_conflicts(
    api: httpx.Client, tenant: TenantFixture, database_url: str
) -> None:
    submit(api, tenant, "diagnostic", {"sleep_seconds": 0}, **{"Idempotency-Key": "k1"})
    clash = submit(api, tenant, "diagnostic", {"sleep_seconds": 1}, **{"Idempotency-Key": "k1"})
    assert clash.status_code == 409
    assert "Idempotency-Key" in clash.json()["detail"]
    assert _count_jobs(database_url, tenant) == 1


def test_concurrent_duplicates_create_one_job(
    api: httpx.Client, tenant: TenantFixture, database_url: str, web: str
) -> None:
    def post() -> str:
        with httpx.Client(base_url=web, timeout=30) as client:
            r = submit(client, tenant, "noop", {}, **{"Idempotency-Key": "burst"})
            assert r.status_code == 202, r.text
            return str(r.json()["job_id"])

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(lambda _: post(), range(16)))
    assert len(ids) == 1
    assert _count_jobs(database_url, tenant) == 1


def test_expired_key_is_forgotten(
    container: object, tenant: TenantFixture, database_url: str, api: httpx.Client
) -> None:
    first = submit(api, tenant, "noop", {}, **{"Idempotency-Key": "old"}).json()["job_id"]
    with connect_as(database_url, tenant) as conn:
        conn.execute("UPDATE idempotency_keys SET expires_at = now() - interval '1 second'")
    again = submit(api, tenant, "noop", {}, **{"Idempotency-Key": "old"}).json()["job_id"]
    assert again != first
