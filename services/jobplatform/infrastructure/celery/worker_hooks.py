"""Worker process hooks: logging, per-child adapters, heartbeat, metrics endpoint."""

from __future__ import annotations

from typing import Any

from celery.signals import (
    celeryd_after_setup,
    setup_logging,
    worker_process_init,
    worker_ready,
    worker_shutdown,
)
from celery.worker import state as worker_state

from jobplatform.infrastructure.container import container, reset_container
from jobplatform.infrastructure.lease_keeper import LeaseKeeper
from jobplatform.infrastructure.logging_setup import configure_logging
from jobplatform.infrastructure.redis.heartbeat import HeartbeatThread, WorkerState
from jobplatform.infrastructure.settings import settings

_worker: dict[str, Any] = {}


@setup_logging.connect
def _logging(**_: Any) -> None:
    s = settings()
    configure_logging(s.process, s.log_level, s.sensitive_fields)


@worker_process_init.connect
def _child_start(**_: Any) -> None:
    # Engines and Redis pools built before fork must not be shared with the parent.
    reset_container()


@celeryd_after_setup.connect
def _remember_worker(sender: str, instance: Any, **_: Any) -> None:
    _worker["hostname"] = sender
    _worker["concurrency"] = int(getattr(instance, "concurrency", 1) or 1)
    _worker["queues"] = sorted(instance.app.amqp.queues.consume_from.keys())


def _running_job_ids() -> list[str]:
    # Copied first: the consumer thread changes the set while we read it.
    return [r.id for r in list(worker_state.active_requests)]


def _state() -> WorkerState:
    active = len(worker_state.active_requests)
    return WorkerState(active=active, reserved=max(0, len(worker_state.reserved_requests) - active))


@worker_ready.connect
def _start_heartbeat(**_: Any) -> None:
    if "hostname" not in _worker:
        return
    thread = HeartbeatThread(
        container().redis,
        _worker["hostname"],
        _worker["queues"],
        _worker["concurrency"],
        _state,
        settings().heartbeat_interval_seconds,
    )
    thread.start()
    _worker["heartbeat"] = thread
    keeper = LeaseKeeper(container(), _worker["hostname"], _running_job_ids)
    keeper.start()
    _worker["lease_keeper"] = keeper
    port = settings().metrics_port
    if port:
        from prometheus_client import CollectorRegistry, multiprocess, start_http_server

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        start_http_server(port, addr=settings().metrics_addr, registry=registry)


@worker_shutdown.connect
def _stop_heartbeat(**_: Any) -> None:
    for name in ("heartbeat", "lease_keeper"):
        thread = _worker.pop(name, None)
        if thread is not None:
            thread.stop()
