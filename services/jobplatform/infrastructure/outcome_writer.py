"""Write-behind for the outcomes of runs that succeeded, one per worker process.

A short job spent as much time recording its outcome as running; written a few milliseconds
later, several to a round trip, it costs a fraction of that. The task returns (and its message
is acknowledged) before the write. Why nothing is lost: until the write the job is `running`
under the lease of this worker (or `queued`, for a run started from its ticket); a process
that dies first leaves it so, the lease runs out (the reconciler's queued bound passes) and
the reconciler publishes the job again, whose effects the ledger keeps from repeating. A
write that fails on the database is kept and tried again.
"""

from __future__ import annotations

import threading
import time

import structlog

from jobplatform.application.ports import DeferredOutcomes, UnitOfWorkFactory
from jobplatform.application.records import SucceededRun
from jobplatform.infrastructure.metrics import DEPENDENCY_ERRORS, OUTCOMES_WRITTEN_BEHIND

log = structlog.get_logger("jobplatform.worker")

# Waits after a failed write, doubled up to the cap while the database stays away.
RETRY_FIRST_SECONDS, RETRY_CAP_SECONDS = 0.2, 5.0
# The part of the delay a process may stay quiet (no run ending) before it writes what it has:
# waiting longer would gather nothing more.
QUIET_SHARE = 0.1


class OutcomeWriter(DeferredOutcomes):
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        delay_seconds: float,
        max_batch: int,
        quiet_seconds: float | None = None,
    ):
        self._uow = uow_factory
        self._delay, self._max_batch = delay_seconds, max_batch
        self._quiet = delay_seconds * QUIET_SHARE if quiet_seconds is None else quiet_seconds
        self._lock = threading.Lock()
        self._pending: list[SucceededRun] = []
        # Runs handed over so far: the writer sees from it whether runs still end.
        self._deferred = 0
        self._has_work, self._full, self._stopping = (
            threading.Event(),
            threading.Event(),
            threading.Event(),
        )
        self._thread: threading.Thread | None = None

    def defer(self, run: SucceededRun) -> None:
        with self._lock:
            self._pending.append(run)
            self._deferred += 1
            full = len(self._pending) >= self._max_batch
            if self._thread is None:
                # Started on first use: in the process that runs jobs, after any fork.
                self._thread = threading.Thread(
                    target=self._run, name="outcome-writer", daemon=True
                )
                self._thread.start()
        if not self._has_work.is_set():
            # Set once per batch: the writer clears it before it takes the pending runs, so a
            # run added after that take finds it clear.
            self._has_work.set()
        if full:
            self._full.set()

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def flush(self) -> bool:
        """Write what is pending now; False when the database refused (kept for later)."""
        with self._lock:
            runs, self._pending = self._pending, []
        if not runs:
            return True
        try:
            recorded = self._uow.record_succeeded(runs)
        except Exception as exc:
            # Unreachable, or refusing writes (a failover onto a read-only standby): the
            # runs stay pending and the writer thread lives on to try again.
            with self._lock:
                self._pending[:0] = runs
            DEPENDENCY_ERRORS.labels("outcome-writer").inc()
            log.warning("outcome_write_failed", error_class=type(exc).__name__, runs=len(runs))
            return False
        OUTCOMES_WRITTEN_BEHIND.inc(recorded)
        if recorded < len(runs):
            # Their leases ran out and other runs took the jobs over: those outcomes count.
            log.warning("job_runs_superseded", runs=len(runs) - recorded)
        return True

    def close(self) -> bool:
        """Stop the thread and write what is left, once; True when nothing is left."""
        self._stopping.set()
        self._has_work.set()
        self._full.set()
        if self._thread is not None:
            self._thread.join(timeout=self._delay + 30)
        return self.flush()

    def _run(self) -> None:
        wait = RETRY_FIRST_SECONDS
        while not self._stopping.is_set():
            self._has_work.wait()
            self._gather()
            self._has_work.clear()
            self._full.clear()
            if self._stopping.is_set():
                return
            if self.flush():
                wait = RETRY_FIRST_SECONDS
                continue
            self._has_work.set()
            self._stopping.wait(wait)
            wait = min(RETRY_CAP_SECONDS, wait * 2)

    def _gather(self) -> None:
        """Wait while runs go on ending, up to the delay, unless the batch fills first. A
        process gone quiet (no run ended for the quiet interval) writes at once: the last
        outcomes of a burst, or a lone job's, wait that long, not the whole delay."""
        deadline = time.monotonic() + self._delay
        seen = self._deferred
        while (left := deadline - time.monotonic()) > 0:
            if self._full.wait(min(left, self._quiet)):
                return
            if self._deferred == seen:
                return
            seen = self._deferred
