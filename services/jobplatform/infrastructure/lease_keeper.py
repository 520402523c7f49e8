"""Renews the leases of the jobs a worker is running, from the worker's main process.

The main process knows every request its pool is running (task id = job id), so one thread
renews them all; a worker that dies stops renewing, and its jobs' leases run out.

Runs that started from their run tickets wrote nothing when they started: those still in hand
at the next renewal are marked running under the worker's lease here, so a long run shows as
running and is renewed like any other. (One renewal later, not at once: a run whose ticket
was refused has taken its job itself by then, and the mark leaves it alone.)
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable

import structlog
from sqlalchemy.exc import SQLAlchemyError

from jobplatform.application.leases import mark_ticket_runs, renew_leases
from jobplatform.application.ports import StoreUnavailable
from jobplatform.infrastructure.container import Container
from jobplatform.infrastructure.metrics import (
    DEPENDENCY_ERRORS,
    LEASES_RENEWED,
    TICKET_RUNS_MARKED,
)

log = structlog.get_logger("jobplatform.worker")


class LeaseKeeper(threading.Thread):
    """``running``: the ids of the requests in hand, each with whether its message carries a
    run ticket."""

    def __init__(self, c: Container, owner: str, running: Callable[[], Iterable[tuple[str, bool]]]):
        super().__init__(name="lease-keeper", daemon=True)
        self._c, self._owner, self._running = c, owner, running
        # Ticket runs seen in hand at the last renewal: marked if still there at the next.
        self._ticket_runs_seen: set[uuid.UUID] = set()
        # A third of the lease: two renewals may fail before it runs out.
        self._interval = min(c.settings.heartbeat_interval_seconds, c.settings.lease_seconds / 3)
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self._interval):
            self.renew_once()

    def renew_once(self) -> int:
        in_hand = [(uuid.UUID(i), ticket) for i, ticket in self._running() if _is_uuid(i)]
        ids = [job_id for job_id, _ in in_hand]
        tickets = {job_id for job_id, ticket in in_hand if ticket}
        c = self._c
        try:
            marked = mark_ticket_runs(
                c.uow_factory, c.clock, self._owner, sorted(tickets & self._ticket_runs_seen),
                c.lease,
            )  # fmt: skip
            renewed = renew_leases(c.uow_factory, c.clock, self._owner, ids, c.lease)
        except (SQLAlchemyError, StoreUnavailable) as exc:
            DEPENDENCY_ERRORS.labels("lease-keeper").inc()
            log.warning("lease_renewal_failed", error_class=type(exc).__name__, jobs=len(ids))
            return 0
        self._ticket_runs_seen = tickets
        TICKET_RUNS_MARKED.inc(marked)
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
