"""Renews the leases of the jobs a worker is running, from the worker's main process.

The main process knows every request its pool is running (task id = job id), so one thread
renews them all; a worker that dies stops renewing, and its jobs' leases run out.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable

import structlog
from sqlalchemy.exc import SQLAlchemyError

from jobplatform.application.leases import renew_leases
from jobplatform.application.ports import StoreUnavailable
from jobplatform.infrastructure.container import Container
from jobplatform.infrastructure.metrics import DEPENDENCY_ERRORS, LEASES_RENEWED

log = structlog.get_logger("jobplatform.worker")


class LeaseKeeper(threading.Thread):
    def __init__(self, c: Container, owner: str, running: Callable[[], Iterable[str]]):
        super().__init__(name="lease-keeper", daemon=True)
        self._c, self._owner, self._running = c, owner, running
        # A third of the lease: two renewals may fail before it runs out.
        self._interval = min(c.settings.heartbeat_interval_seconds, c.settings.lease_seconds / 3)
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self._interval):
            self.renew_once()

    def renew_once(self) -> int:
        ids = [uuid.UUID(i) for i in self._running() if _is_uuid(i)]
        try:
            renewed = renew_leases(
                self._c.uow_factory, self._c.clock, self._owner, ids, self._c.lease
            )
        except (SQLAlchemyError, StoreUnavailable) as exc:
            DEPENDENCY_ERRORS.labels("lease-keeper").inc()
            log.warning("lease_renewal_failed", error_class=type(exc).__name__, jobs=len(ids))
            return 0
        LEASES_RENEWED.inc(renewed)
        return renewed

    def stop(self) -> None:
        self._stop_event.set()


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
