"""The Celery app the operator's in-cluster tests run in worker pods (mounted from a ConfigMap,
run with the services image's Celery): the signals the operator reads from workers (the
platform's heartbeat, per-queue counters) without Postgres or the API, and tasks that record
where and how often they ran, so a test can count every completion.

Environment: OPTEST_BROKER (Redis URL), OPTEST_QUEUE (the pool's queue).
"""

from __future__ import annotations

import os
import time
from typing import Any

import redis
from celery import Celery, Task
from celery.signals import (
    celeryd_after_setup,
    task_retry,
    task_success,
    worker_ready,
    worker_shutdown,
)
from celery.worker import state as worker_state

from jobplatform.infrastructure.redis.heartbeat import HeartbeatThread, WorkerState
from jobplatform.infrastructure.redis.worker_keys import queue_stats_key

BROKER = os.environ.get("OPTEST_BROKER", "redis://127.0.0.1:6379/0")
QUEUE = os.environ.get("OPTEST_QUEUE", "optest")
app = Celery("operator-test", broker=BROKER)
app.conf.broker_transport_options = {"priority_steps": [0, 3, 6, 9]}
app.conf.task_default_queue = QUEUE
app.conf.worker_prefetch_multiplier = 1
app.conf.task_acks_late = True  # a running task stays in `unacked` until it ends
_redis = redis.Redis.from_url(BROKER)
_worker: dict[str, Any] = {}


def started_key(tag: str) -> str:
    return f"optest:{tag}:started"


def done_key(tag: str) -> str:
    return f"optest:{tag}:done"


def healed_key(tag: str) -> str:
    return f"optest:{tag}:healed"


@app.task(name="optest.work", bind=True)
def work(self: Task, seconds: float, tag: str) -> None:  # type: ignore[type-arg]
    """Sleeps; each start and each completion is a list entry `<task id> <worker>`."""
    entry = f"{self.request.id} {self.request.hostname}"
    _redis.rpush(started_key(tag), entry)
    time.sleep(seconds)
    _redis.rpush(done_key(tag), entry)


@app.task(name="optest.flaky", bind=True, max_retries=None)
def flaky(self: Task, tag: str) -> None:  # type: ignore[type-arg]
    """Fails with a retryable error until the test sets the tag's healed key."""
    if not _redis.exists(healed_key(tag)):
        raise self.retry(countdown=1)
    _redis.rpush(done_key(tag), f"{self.request.id} {self.request.hostname}")


@celeryd_after_setup.connect
def _remember(sender: str, **_: Any) -> None:
    _worker["hostname"] = sender


def _state() -> WorkerState:
    active = len(worker_state.active_requests)
    return WorkerState(active=active, reserved=max(0, len(worker_state.reserved_requests) - active))


@worker_ready.connect
def _heartbeat(**_: Any) -> None:
    thread = HeartbeatThread(_redis, _worker["hostname"], [QUEUE], 1, _state, interval=1.0)
    thread.start()
    _worker["heartbeat"] = thread


@worker_shutdown.connect
def _stop(**_: Any) -> None:
    thread = _worker.pop("heartbeat", None)
    if thread is not None:
        thread.stop()


@task_success.connect
def _count_success(**_: Any) -> None:
    _redis.hincrby(queue_stats_key(QUEUE), "succeeded", 1)


@task_retry.connect
def _count_retry(**_: Any) -> None:
    _redis.hincrby(queue_stats_key(QUEUE), "retried", 1)
