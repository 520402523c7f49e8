"""The autoscaler's Redis probe against Celery itself: a plain Celery client publishes with
priorities and countdowns, a plain Celery worker prefetches, and the probe counts them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery import Celery

from celery_autoscaler.policy import History, PoolSpec, decide
from celery_autoscaler.signals.layout import Layout
from celery_autoscaler.signals.probe import UNACKED_EXACT_LIMIT, RedisProbe
from devstack.local_servers import RedisServer
from devstack.wait import wait_for
from jobplatform.infrastructure.redis.heartbeat import (
    WorkerState,
    remove_heartbeat,
    write_heartbeat,
)

HERE = Path(__file__).parent


@pytest.fixture(autouse=True)
def without_platform_publish_hook() -> Iterator[None]:
    """A plain Celery client here: the platform's publish hook, connected process-wide once
    any test has imported the platform's Celery app, must not restamp these messages."""
    from celery.signals import before_task_publish

    from jobplatform.infrastructure.celery.publish_hooks import add_platform_headers

    before_task_publish.disconnect(add_platform_headers)
    yield
    before_task_publish.connect(add_platform_headers)


def client_app(url: str) -> Celery:
    app = Celery(broker=url)
    app.conf.broker_transport_options = {"priority_steps": [0, 3, 6, 9]}
    return app


@pytest.fixture
def queue() -> str:
    return f"probe-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def plain_worker(redis_server: RedisServer, queue: str, log_dir: Path) -> Iterator[str]:
    """A plain `celery worker` (concurrency 1, prefetch 4, acks late) consuming `queue`."""
    log = (log_dir / f"plain-worker-{queue}.log").open("wb")
    env = {**os.environ, "PLAIN_CELERY_BROKER": redis_server.url, "PYTHONPATH": str(HERE)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "autoscaler_celery_app",
            "worker",
            "-Q",
            queue,
            "-c",
            "1",
            "-P",
            "prefork",  # the consumer keeps fetching while the child runs a task
            "-n",
            f"{queue}@local",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield queue
    proc.send_signal(signal.SIGQUIT)  # cold shutdown: do not wait for the 600 s tasks
    proc.wait(timeout=60)
    log.close()
    # A cold shutdown leaves its messages in `unacked` (restored after the visibility
    # timeout); drop them so the other tests see a hash of known size.
    client = redis.Redis.from_url(redis_server.url)
    mine = [t for t, v in client.hgetall("unacked").items() if json.loads(v)[2] == queue]
    if mine:
        client.hdel("unacked", *mine)
    client.close()


def test_ready_counts_every_priority_list_and_unknown_queues_are_flagged(
    redis_client: redis.Redis, redis_server: RedisServer, queue: str
) -> None:
    app = client_app(redis_server.url)
    published = time.time() - 40
    for priority in (0, 0, 3, 6, 9, 9):
        app.send_task(
            "plain.sleep", (0,), queue=queue, priority=priority, headers={"published_at": published}
        )
    missing = f"never-declared-{uuid.uuid4().hex[:6]}"
    probe = RedisProbe(redis_client, Layout(queues=(queue, missing)))
    obs = probe.poll()
    app.close()
    assert redis_client.llen(queue) == 2  # what KEDA's list scaler would read
    assert obs.queues[queue].ready == 6
    assert obs.queues[queue].known
    age = obs.queues[queue].oldest_ready_age
    assert age is not None and age >= 40
    assert not obs.queues[missing].known and not obs.complete


def test_prefetched_running_and_countdown_messages_are_counted(
    redis_client: redis.Redis, redis_server: RedisServer, plain_worker: str
) -> None:
    queue = plain_worker
    app = client_app(redis_server.url)
    sent = time.time()
    app.send_task("plain.sleep", (600,), queue=queue, countdown=3600)
    app.send_task("plain.sleep", (600,), queue=queue, countdown=3600, retries=2)
    for i in range(10):
        app.send_task("plain.sleep", (600,), queue=queue, priority=(0, 3, 6, 9)[i % 4])
    app.close()
    probe = RedisProbe(redis_client, Layout(queues=(queue,)))
    # Prefetch 4 (one running, three waiting in the worker) plus the two ETA messages, which
    # Celery fetches at once and holds outside the prefetch limit.
    obs = wait_for(
        lambda: (
            (o := probe.poll()).queues[queue].scheduled == 2 and o.queues[queue].reserved == 4 and o
        ),
        timeout=60,
        what="the worker to prefetch",
    )
    q = obs.queues[queue]
    assert q.retrying == 1
    assert q.ready == 6  # every priority list, the prefetched four excluded
    assert obs.scheduled == 2 and obs.complete
    assert q.due_soon == ()  # an hour away: not due soon
    # Seen from shortly before their ETA, both are due soon, by their ETA's second.
    seen_from = sent + 3600 - 30
    later = probe.poll(now=seen_from).queues[queue]
    assert sum(n for _, n in later.due_soon) == 2
    assert all(28 <= due <= 32 for due, _ in later.due_soon), later.due_soon


def test_workers_by_hostname_and_rates_from_counters(redis_client: redis.Redis, queue: str) -> None:
    hosts = [f"{queue}-a@pod-a", f"{queue}-b@pod-b", f"{queue}-other@pod-c"]
    write_heartbeat(redis_client, hosts[0], [queue], 2, WorkerState(active=1, reserved=0), 30)
    write_heartbeat(redis_client, hosts[1], [queue], 2, WorkerState(active=0, reserved=0), 30)
    write_heartbeat(redis_client, hosts[2], ["elsewhere"], 2, WorkerState(1, 0), 30)
    stats = f"jobplatform:queue:{queue}:stats"
    probe = RedisProbe(redis_client, Layout(queues=(queue,)))
    try:
        first = probe.poll(now=time.time())
        redis_client.hincrby(stats, "succeeded", 20)
        redis_client.hincrby(stats, "retried", 40)
        second = probe.poll(now=time.time() + 10)
    finally:
        for h in hosts:
            remove_heartbeat(redis_client, h)
        redis_client.delete(stats)
    assert first.busy_workers == (hosts[0],) and first.idle_workers == (hosts[1],)
    assert first.queues[queue].known  # no key, no binding, but a worker consumes it
    assert second.rates.succeeded > 0 and second.rates.retried == pytest.approx(
        2 * second.rates.succeeded
    )


def kombu_entries(queue: str, n: int) -> dict[str, str]:
    """`unacked` entries the way kombu writes them; some with an ETA, some retries."""
    eta = "2099-01-01T00:00:00.123456+00:00"
    entries = {}
    for i in range(n):
        headers = {
            "lang": "py",
            "task": "t",
            "id": str(i),
            "eta": eta if i % 5 == 0 else None,
            "retries": 1 if i % 10 == 0 else 0,
        }
        payload = {"body": "A" * 600, "headers": headers, "properties": {"priority": 0}}
        entries[f"{queue}-{i}"] = json.dumps([payload, "", queue if i % 2 else f"{queue}-x"])
    return entries


def full_parse(queue: str, entries: dict[str, str]) -> dict[str, list[int]]:
    """The slow way: parse every message in Python."""
    expected: dict[str, list[int]] = {queue: [0, 0, 0], f"{queue}-x": [0, 0, 0]}
    for raw in entries.values():
        message, _, routing_key = json.loads(raw)
        headers = message["headers"]
        slot = expected[routing_key]
        slot[1 if headers["eta"] else 0] += 1
        slot[2] += 1 if headers["eta"] and headers["retries"] else 0
    return expected


@pytest.mark.parametrize("size", [UNACKED_EXACT_LIMIT // 2, 4 * UNACKED_EXACT_LIMIT])
def test_unacked_is_summarised_inside_redis(
    redis_client: redis.Redis, queue: str, size: int
) -> None:
    """Exact up to the limit; above it, a sample scaled to the hash's size."""
    entries = kombu_entries(queue, size)
    redis_client.hset("unacked", mapping=entries)
    try:
        obs = RedisProbe(redis_client, Layout(queues=(queue, f"{queue}-x"))).poll()
    finally:
        redis_client.hdel("unacked", *entries)
    expected = full_parse(queue, entries)
    assert expected[queue][0] > 0 and expected[queue][1] > 0 and expected[f"{queue}-x"][2] > 0
    # Other tests' entries may share the hash: they count toward the sample, not these queues.
    tolerance = 0 if size < UNACKED_EXACT_LIMIT else 0.05 * size
    for name, counts in expected.items():
        q = obs.queues[name]
        for got, want in zip((q.reserved, q.scheduled, q.retrying), counts, strict=True):
            assert abs(got - want) <= tolerance, (name, got, want)


def test_redis_stopped_reads_as_an_error_and_the_policy_holds() -> None:
    server = RedisServer().start()
    client = redis.Redis.from_url(server.url, socket_timeout=2, socket_connect_timeout=2)
    probe = RedisProbe(client, Layout(queues=("default",)))
    server.close()
    obs = probe.poll()
    client.close()
    assert obs.error is not None and not obs.complete
    decision, _ = decide(PoolSpec(max_replicas=10, fallback_replicas=4), obs, 7, History(), 0.0)
    assert decision.replicas == 7 and [a.type for a in decision.alerts] == ["ProbeFailing"]
