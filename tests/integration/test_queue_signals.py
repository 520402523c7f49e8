"""What the autoscaler will read: Celery-correct depth, heartbeats, per-queue counters, and
the metrics every process exports."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import redis
from celery import Celery
from prometheus_client import CollectorRegistry, generate_latest

from devstack.ports import free_port
from devstack.processes import PlatformEnv, PlatformProcess, start_relay, start_worker
from devstack.wait import wait_for
from jobplatform.infrastructure.queue_metrics import QueueCollector
from jobplatform.infrastructure.redis.queue_depth import read_depths
from jobplatform.infrastructure.redis.worker_keys import WORKERS, queue_stats_key, worker_key
from support.jobs import submit, wait_status
from support.tenants import TenantFixture


def test_depth_counts_every_priority_list_and_unacked_retries(
    redis_client: redis.Redis, platform_env: object
) -> None:
    queue = f"depth-{uuid.uuid4().hex[:8]}"
    app = Celery(broker=platform_env.redis_url)  # type: ignore[attr-defined]
    app.conf.broker_transport_options = {"priority_steps": [0, 3, 6, 9]}
    for priority in (0, 0, 3, 6, 9):
        app.send_task("noop", queue=queue, priority=priority)
    # The oldest ready message sits at the tail (BRPOP takes from there): one published 30 s
    # ago, as the relay stamps it.
    redis_client.rpush(queue, json.dumps({"headers": {"published_at": time.time() - 30}}))
    # An ETA retry as kombu holds it: in `unacked`, routed by its queue name.
    eta = "2099-01-01T00:00:00+00:00"
    redis_client.hset(
        "unacked", "tag-1", json.dumps([{"headers": {"eta": eta, "retries": 2}}, "", queue])
    )
    redis_client.hset("unacked", "tag-2", json.dumps([{"headers": {}}, "", queue]))
    try:
        depth = read_depths(redis_client, [queue])[queue]
        assert redis_client.llen(queue) == 3  # what a plain LLEN scaler would read
        assert depth.ready == 6
        assert depth.scheduled == 1 and depth.retrying == 1 and depth.reserved == 1
        assert depth.oldest_ready_age is not None and depth.oldest_ready_age >= 29
        registry = CollectorRegistry()
        registry.register(QueueCollector(redis_client, [queue]))
        text = generate_latest(registry).decode()
        assert f'jobplatform_queue_messages{{queue="{queue}",state="ready"}} 6.0' in text
    finally:
        redis_client.hdel("unacked", "tag-1", "tag-2")
        app.close()


def test_workers_publish_heartbeats_and_outcome_counters(
    api: httpx.Client, tenant: TenantFixture, platform: dict[str, object], redis_client: redis.Redis
) -> None:
    hosts = wait_for(
        lambda: [h.decode() for h in redis_client.zrange(WORKERS, 0, -1)], what="heartbeats"
    )
    default_host = next(h for h in hosts if h.startswith("worker-default"))
    beat = redis_client.hgetall(worker_key(default_host))
    assert beat[b"queues"] == b"default" and beat[b"state"] in (b"idle", b"busy")
    assert int(beat[b"concurrency"]) == 2
    before = int(redis_client.hget(queue_stats_key("default"), "succeeded") or 0)
    job_id = submit(api, tenant, "noop").json()["job_id"]
    wait_status(api, tenant, job_id, "succeeded")
    wait_for(
        lambda: int(redis_client.hget(queue_stats_key("default"), "succeeded") or 0) > before,
        what="the succeeded counter",
    )


def test_busy_worker_reports_busy(
    api: httpx.Client, tenant: TenantFixture, platform: dict[str, object], redis_client: redis.Redis
) -> None:
    job_id = submit(api, tenant, "diagnostic", {"sleep_seconds": 3}).json()["job_id"]
    wait_status(api, tenant, job_id, "running")

    def heavy_busy() -> bool:
        for h in redis_client.zrange(WORKERS, 0, -1):
            state = redis_client.hgetall(worker_key(h.decode()))
            if state.get(b"queues") == b"heavy" and state.get(b"state") == b"busy":
                return True
        return False

    wait_for(heavy_busy, timeout=10, what="the heavy worker to report busy")
    wait_status(api, tenant, job_id, "succeeded")


def test_web_exports_metrics_without_tenant_labels(
    api: httpx.Client, tenant: TenantFixture
) -> None:
    submit(api, tenant, "noop")
    text = api.get("/metrics").text
    assert (
        'jobplatform_jobs_submitted_total{job_type="noop",queue="default",result="created"}' in text
    )
    assert str(tenant.id) not in text and "tenant" not in text


def test_worker_and_relay_export_metrics(
    api: httpx.Client,
    tenant: TenantFixture,
    platform_env: PlatformEnv,
    platform: dict[str, PlatformProcess],
) -> None:
    worker_port, relay_port = free_port(), free_port()
    platform["default"].stop()  # so the jobs below run on the worker under test
    queue_worker = start_worker(
        platform_env, "default", name="metrics-worker", JOBPLATFORM_METRICS_PORT=str(worker_port)
    )
    relay = start_relay(platform_env, JOBPLATFORM_METRICS_PORT=str(relay_port))
    try:
        for _ in range(4):
            job_id = submit(api, tenant, "noop").json()["job_id"]
            wait_status(api, tenant, job_id, "succeeded")

        def outcomes() -> str | None:
            text = httpx.get(f"http://127.0.0.1:{worker_port}/metrics", timeout=5).text
            return text if "jobplatform_job_outcomes_total" in text else None

        worker_text = wait_for(outcomes, timeout=30, what="worker metrics")
        assert 'outcome="succeeded"' in worker_text
        relay_text = wait_for(
            lambda: httpx.get(f"http://127.0.0.1:{relay_port}/metrics", timeout=5).text,
            what="relay metrics",
        )
        assert "jobplatform_redis_up 1.0" in relay_text
        assert 'jobplatform_queue_messages{queue="default",state="ready"}' in relay_text
        assert 'jobplatform_workers{queue="default",state="idle"}' in relay_text
    finally:
        queue_worker.stop()
        relay.stop()
        platform["default"] = start_worker(platform_env, "default", concurrency=2)
