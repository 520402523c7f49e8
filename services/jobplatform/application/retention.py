"""Use case: keep the job tables bounded by deleting finished jobs past their retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from jobplatform.application.ports import Clock, UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class PruneFinishedJobs:
    older_than: timedelta  # a job that finished longer ago than this goes
    batch_size: int  # jobs per transaction: short transactions, short row locks
    max_batches: int  # a bound on one sweep; the next sweep carries on


def prune_finished_jobs(
    cmd: PruneFinishedJobs, uow_factory: UnitOfWorkFactory, clock: Clock
) -> int:
    """Delete finished jobs that ended before now - ``older_than``, one committed batch at a
    time, until a batch comes back short or ``max_batches`` ran. Queued, running and retrying
    jobs are never touched. Returns how many jobs were deleted."""
    before = clock.now() - cmd.older_than
    deleted = 0
    for _ in range(cmd.max_batches):
        with uow_factory.system() as uow:
            n = uow.history.delete_finished(before, cmd.batch_size)
            uow.commit()
        deleted += n
        if n < cmd.batch_size:
            break
    return deleted
