"""The demo's Celery app: one task that sleeps, and the signals the probe reads from
workers (the platform's heartbeat and per-queue counters), without Postgres or the API."""

from __future__ import annotations

import os
import time
from typing import Any

import redis
from celery import Celery
from celery.signals import celeryd_after_setup, task_success, worker_ready, worker_shutdown
from celery.worker import state as worker_state

from jobplatform.infrastructure.redis.heartbeat import HeartbeatThread, WorkerState
from jobplatform.infrastructure.redis.worker_keys import queue_stats_key

BROKER = os.environ.get("DEMO_BROKER", "redis://127.0.0.1:6379/0")
QUEUE = "demo"
app = Celery("autoscaling-demo", broker=BROKER)
app.conf.broker_transport_options = {"priority_steps": [0, 3, 6, 9]}
app.conf.worker_prefetch_multiplier = 1
app.conf.task_acks_late = True
_worker: dict[str, Any] = {}


@app.task(name="demo.work")
def work(seconds: float) -> None:
    time.sleep(seconds)


@celeryd_after_setup.connect
def _remember(sender: str, **_: Any) -> None:
    _worker["hostname"] = sender


def _state() -> WorkerState:
    active = len(worker_state.active_requests)
    return WorkerState(active=active, reserved=max(0, len(worker_state.reserved_requests) - active))


@worker_ready.connect
def _heartbeat(**_: Any) -> None:
    client = redis.Redis.from_url(BROKER)
    thread = HeartbeatThread(client, _worker["hostname"], [QUEUE], 1, _state, interval=1.0)
    thread.start()
    _worker["heartbeat"] = thread


@worker_shutdown.connect
def _stop(**_: Any) -> None:
    thread = _worker.pop("heartbeat", None)
    if thread is not None:
        thread.stop()


@task_success.connect
def _count(**_: Any) -> None:
    redis.Redis.from_url(BROKER).hincrby(queue_stats_key(QUEUE), "succeeded", 1)
