"""Submit the follow-up jobs of a domain event as children of the running job.

Each child is submitted in the parent's tenant, under the parent's request id, with an
idempotency key made of the parent's id and the follow-up's place in the map: a parent that
is retried or redelivered after submitting some children submits none of them twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from jobplatform.application.handlers.job_run import JobRun
from jobplatform.application.ports import SystemUnitOfWork, UnitOfWork, UnitOfWorkFactory
from jobplatform.application.submit_job import SubmitJob, submit_job
from jobplatform.application.tenant_units import TenantUnits
from jobplatform.domain.events import EVENTS
from jobplatform.domain.job import Job
from jobplatform.domain.tenant import TenantContext, TenantId

# Long past any retry of the parent; the keys are pruned with the tenant's others after it.
CHILD_KEY_TTL = timedelta(days=1)


class _OwnTenantOnly(UnitOfWorkFactory):
    """submit_job's factory for a handler: its own tenant's units of work, nothing else."""

    def __init__(self, units: TenantUnits):
        self._units = units

    def for_tenant(self, tenant: TenantId) -> UnitOfWork:
        if tenant != self._units.tenant:
            raise PermissionError("a job submits children only in its own tenant")
        return self._units.open()

    def system(self) -> SystemUnitOfWork:
        raise PermissionError("a job handler has no cross-tenant scope")


def submit_follow_ups(event_name: str, data: dict[str, object], run: JobRun) -> Sequence[Job]:
    spec = EVENTS[event_name]
    event = spec.data_model.model_validate(data)
    parent = run.context
    child_ctx = TenantContext(tenant_id=parent.tenant_id, request_id=parent.request_id)
    children = []
    for place, follow_up in enumerate(spec.follow_ups):
        payload = follow_up.payload(event)
        if payload is None:
            continue
        submitted = submit_job(
            SubmitJob(
                type=follow_up.job_type,
                payload=payload,
                idempotency_key=f"follow-up:{parent.job_id}:{place}:{follow_up.job_type}",
            ),
            child_ctx,
            _OwnTenantOnly(run.units),
            run.clock,
            CHILD_KEY_TTL,
        )
        children.append(submitted.job)
    return children
