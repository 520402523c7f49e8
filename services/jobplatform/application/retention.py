"""Use case: keep the job tables bounded by deleting finished jobs past their retention: the
tenant's own (tenants.job_retention_days) where it has one, the global one otherwise."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from jobplatform.application.ports import Clock, UnitOfWorkFactory
from jobplatform.domain.tenant import TenantId


@dataclass(frozen=True, slots=True)
class PruneFinishedJobs:
    older_than: timedelta  # the global retention: a job that finished longer ago goes
    batch_size: int  # jobs per transaction: short transactions, short row locks
    max_batches: int  # a bound on one sweep (all its passes); the next sweep carries on
    # No tenant's own retention goes below this (the idempotency keys' time to live): a
    # replayed key must still find its job.
    shortest: timedelta = timedelta(0)


@dataclass(frozen=True, slots=True)
class SweepPass:
    """One pass of the sweep: jobs finished before ``before``, of ``tenant`` alone when set,
    else of every tenant not in ``excluding``."""

    before: datetime
    tenant: TenantId | None = None
    excluding: tuple[TenantId, ...] = ()


def sweep_passes(
    now: datetime,
    older_than: timedelta,
    overrides: Mapping[TenantId, int],
    shortest: timedelta = timedelta(0),
) -> Sequence[SweepPass]:
    """The global pass over the tenants without a retention of their own, then one pass per
    tenant that has one, each with its own cutoff (never less than ``shortest`` ago)."""
    own = tuple(sorted(overrides, key=str))
    return [
        SweepPass(before=now - older_than, excluding=own),
        *(
            SweepPass(before=now - max(timedelta(days=overrides[t]), shortest), tenant=t)
            for t in own
        ),
    ]


def prune_finished_jobs(
    cmd: PruneFinishedJobs, uow_factory: UnitOfWorkFactory, clock: Clock
) -> int:
    """Delete finished jobs past their tenant's retention, one committed batch at a time; each
    pass goes until a batch comes back short, and all passes together run at most
    ``max_batches`` batches. Queued, running and retrying jobs are never touched. Returns how
    many jobs were deleted."""
    with uow_factory.system() as uow:
        overrides = uow.history.retention_overrides()
    deleted, batches = 0, 0
    for p in sweep_passes(clock.now(), cmd.older_than, overrides, cmd.shortest):
        while batches < cmd.max_batches:
            with uow_factory.system() as uow:
                n = uow.history.delete_finished(
                    p.before, cmd.batch_size, tenant=p.tenant, excluding=p.excluding
                )
                uow.commit()
            deleted, batches = deleted + n, batches + 1
            if n < cmd.batch_size:
                break
    return deleted
