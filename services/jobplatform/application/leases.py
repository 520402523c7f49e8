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
