"""Idempotency: one job per key and request; an effect happens once even across a crash."""

from __future__ import annotations

import concurrent.futures
import time

import httpx
import redis

from devstack.processes import PlatformEnv, start_worker
from devstack.wait import wait_for
from jobplatform.domain.keys import tenant_key
from support.as_tenant import connect_as, count_rows
from support.jobs import submit, wait_status
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


def test_worker_killed_mid_job_redelivers_and_the_effect_happens_once(
    api: httpx.Client,
    tenant: TenantFixture,
    platform_env: PlatformEnv,
    redis_client: redis.Redis,
    platform: object,
) -> None:
    # A pool of its own on a queue no other worker consumes, with a short visibility timeout
    # so the unacked message of the killed worker is restored quickly.
    env = PlatformEnv(
        platform_env.database_url,
        platform_env.redis_url,
        platform_env.log_dir,
        extra={
            "JOBPLATFORM_VISIBILITY_TIMEOUT_SECONDS": "6",
            "JOBPLATFORM_TASK_TIME_LIMIT_SECONDS": "5",
            # Shorter than the visibility timeout: the dead worker's lease has run out when
            # the message comes back, so the redelivery runs the job instead of skipping it.
            "JOBPLATFORM_LEASE_SECONDS": "3",
        },
    )
    platform["heavy"].stop()  # type: ignore[index]
    try:
        victim = start_worker(env, "heavy", name="victim")
        job_id = submit(
            api, tenant, "diagnostic", {"emit_event": True, "sleep_seconds": 2.5}
        ).json()["job_id"]
        events = tenant_key(tenant.id, "events")
        wait_for(lambda: redis_client.llen(events) == 1, timeout=30, what="the effect")
        assert wait_status(api, tenant, job_id, "running")["attempts"] == 1
        victim.kill()  # SIGKILL to the worker and its pool children, mid-sleep
        # Wait until the killed worker's unacked message is older than the visibility
        # timeout: then the next worker to start restores it.
        wait_for(
            lambda: (
                0
                < redis_client.zcard("unacked_index")
                == redis_client.zcount("unacked_index", "-inf", time.time() - 6)
            ),
            timeout=30,
            what="the unacked message to pass the visibility timeout",
        )
        survivor = start_worker(env, "heavy", name="survivor")
        try:
            job = wait_status(api, tenant, job_id, "succeeded", timeout=60)
        finally:
            survivor.stop()
    finally:
        platform["heavy"] = start_worker(platform_env, "heavy", concurrency=2)  # type: ignore[index]
    assert job["attempts"] == 2  # the job really ran twice...
    assert redis_client.llen(events) == 1  # ...and its effect happened once
