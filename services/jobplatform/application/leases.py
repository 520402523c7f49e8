"""Use case: keep the leases of the runs a worker has in hand from running out."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from jobplatform.application.ports import Clock, UnitOfWorkFactory


def renew_leases(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    owner: str,
    job_ids: Sequence[uuid.UUID],
    lease: timedelta,
) -> int:
    """Extend ``owner``'s leases on ``job_ids`` to ``lease`` from now; the number renewed.

    Runs in the worker's main process, which knows which jobs its pool is running but not
    their tenants: it works in the system scope and touches only rows ``owner`` holds.
    """
    if not job_ids:
        return 0
    with uow_factory.system() as uow:
        renewed = uow.recovery.renew_leases(job_ids, owner, clock.now() + lease)
        uow.commit()
    return renewed


def mark_ticket_runs(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    owner: str,
    job_ids: Sequence[uuid.UUID],
    lease: timedelta,
) -> int:
    """Mark running under ``owner``'s lease the jobs of runs that started from their tickets
    and are still going (nothing was written when they started); the number marked.

    A run that read its job instead (its ticket was refused) has it running already, and a
    run whose outcome is stored has it finished: neither is touched.
    """
    if not job_ids:
        return 0
    now = clock.now()
    with uow_factory.system() as uow:
        marked = uow.recovery.mark_ticket_runs(job_ids, owner, now, now + lease)
        uow.commit()
    return marked
