"""Use case: a beat tick becomes one job per tenant, deduplicated per tick slot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from jobplatform.application.ports import Clock, UnitOfWorkFactory
from jobplatform.application.submit_job import SubmitJob, submit_job
from jobplatform.domain.tenant import TenantContext


@dataclass(frozen=True, slots=True)
class FanOut:
    schedule_name: str
    job_type: str
    slot: int  # the tick's number (time // interval): a second firing of a tick adds nothing


def fan_out(
    cmd: FanOut, uow_factory: UnitOfWorkFactory, clock: Clock, idempotency_ttl: timedelta
) -> int:
    """Submit the scheduled job for every tenant; returns how many were newly created."""
    with uow_factory.system() as system:
        tenants = list(system.tenant_ids())
    created = 0
    for tenant in tenants:
        result = submit_job(
            SubmitJob(
                type=cmd.job_type,
                payload={},
                idempotency_key=f"schedule:{cmd.schedule_name}:{cmd.slot}",
                internal_allowed=True,
            ),
            TenantContext(tenant_id=tenant, request_id=f"schedule-{cmd.schedule_name}"),
            uow_factory,
            clock,
            idempotency_ttl,
        )
        created += int(result.created)
    return created
