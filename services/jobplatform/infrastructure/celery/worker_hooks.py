"""Worker process hooks: logging, per-child adapters, heartbeat, lease keeper, metrics.

Connected per app by ``make_celery_app``: each hook reads the adapters from the app it was
connected for, so nothing here looks up a process-wide global.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog
from celery.signals import (
    celeryd_after_setup,
    setup_logging,
    worker_process_init,
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
)
from celery.worker import state as worker_state

from jobplatform.infrastructure.lease_keeper import LeaseKeeper
from jobplatform.infrastructure.logging_setup import configure_logging

if TYPE_CHECKING:
    from jobplatform.infrastructure.celery.app import PlatformCelery

log = structlog.get_logger("jobplatform.worker")


def _runs_in_hand() -> list[tuple[str, bool]]:
    """Each running request's id (the job's) and whether its message carries a run ticket."""
    # Copied first: the consumer thread changes the set while we read it.
    return [(r.id, "ticket" in (r.kwargs or {})) for r in list(worker_state.active_requests)]


def _active_and_reserved() -> tuple[int, int]:
    active = len(worker_state.active_requests)
    return active, max(0, len(worker_state.reserved_requests) - active)


def connect_worker_hooks(app: PlatformCelery) -> None:
    """Connect the worker signals for ``app``; they only act in a worker process of it."""
    worker: dict[str, Any] = {}
    uid = f"jobplatform-{id(app)}"

    def _logging(**_: Any) -> None:
        s = app.container.settings
        configure_logging(s.process, s.log_level, s.sensitive_fields)

    def _child_start(**_: Any) -> None:
        # Engines and Redis pools built before fork must not be shared with the parent.
        app.container = app.container.for_child()

    def _write_what_is_left(**_: Any) -> None:
        # A process that ran jobs is leaving: a prefork pool process (shutdown, max tasks per
        # child), or the worker itself with the solo pool, which runs jobs in its own process
        # and sends no pool process signal at the end. Outcomes it cannot write are recovered
        # like a dead worker's: leases, then the reconciler.
        writer = app.container.__dict__.get("outcome_writer")
        if writer is not None and not writer.close():
            log.warning("outcome_writes_left_to_leases", runs=writer.pending())

    def _remember_worker(sender: str, instance: Any, **_: Any) -> None:
        if instance.app is not app:
            return
        worker["hostname"] = sender
        worker["concurrency"] = int(getattr(instance, "concurrency", 1) or 1)
        worker["queues"] = sorted(instance.app.amqp.queues.consume_from.keys())

    def _start_threads(sender: Any = None, **_: Any) -> None:
        if "hostname" not in worker or getattr(sender, "app", app) is not app:
            return
        c = app.container
        heartbeat = c.heartbeat(
            worker["hostname"], worker["queues"], worker["concurrency"], _active_and_reserved
        )
        heartbeat.start()
        keeper = LeaseKeeper(c, worker["hostname"], _runs_in_hand)
        keeper.start()
        worker["threads"] = [heartbeat, keeper]
        if c.settings.metrics_port:
            from prometheus_client import CollectorRegistry, multiprocess, start_http_server

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            start_http_server(
                c.settings.metrics_port, addr=c.settings.metrics_addr, registry=registry
            )

    def _stop_threads(sender: Any = None, **_: Any) -> None:
        if getattr(sender, "app", app) is not app:
            return
        for thread in worker.pop("threads", []):
            thread.stop()
        _write_what_is_left()

    # weak=False: the closures live as long as the app; dispatch_uid: connected once per app.
    setup_logging.connect(_logging, weak=False, dispatch_uid=uid)
    worker_process_init.connect(_child_start, weak=False, dispatch_uid=uid)
    worker_process_shutdown.connect(_write_what_is_left, weak=False, dispatch_uid=uid)
    celeryd_after_setup.connect(_remember_worker, weak=False, dispatch_uid=uid)
    worker_ready.connect(_start_threads, weak=False, dispatch_uid=uid)
    worker_shutdown.connect(_stop_threads, weak=False, dispatch_uid=uid)
