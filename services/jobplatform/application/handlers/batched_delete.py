"""Deleting a backlog a bounded batch at a time, each batch its own transaction: no statement
or transaction grows with the backlog, and a concurrent run only finds less to delete."""

from __future__ import annotations

from collections.abc import Callable

from jobplatform.application.ports import UnitOfWork
from jobplatform.application.tenant_units import TenantUnits


def delete_in_batches(units: TenantUnits, delete_batch: Callable[[UnitOfWork], int]) -> int:
    """Run ``delete_batch`` (which deletes at most its limit) in a transaction of its own
    until a batch deletes nothing; the total deleted."""
    total = 0
    while True:
        with units.open() as uow:
            deleted = delete_batch(uow)
            uow.commit()
        if deleted == 0:
            return total
        total += deleted
