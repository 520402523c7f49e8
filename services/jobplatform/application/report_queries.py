"""Read side of reports: the stored report of a finished report job, for its own tenant only."""

from __future__ import annotations

import uuid

from jobplatform.application.ports import UnitOfWorkFactory
from jobplatform.domain.job_status import JobStatus
from jobplatform.domain.job_types.report_generate import REPORT_GENERATE
from jobplatform.domain.report import report_name
from jobplatform.domain.tenant import TenantContext


def find_report(
    job_id: uuid.UUID, ctx: TenantContext, uow_factory: UnitOfWorkFactory
) -> str | None:
    """The report's name in the tenant's storage; None unless the job is the tenant's own
    report job and has succeeded (a report still being written, or of a dead job, is none)."""
    with uow_factory.for_tenant(ctx.tenant_id) as uow:
        job = uow.jobs.get(job_id)
    if job is None or job.type != REPORT_GENERATE.name or job.status is not JobStatus.SUCCEEDED:
        return None
    return report_name(job.id)
