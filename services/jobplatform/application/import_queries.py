"""Read side of CSV imports: an import job's progress, for its own tenant only."""

from __future__ import annotations

import uuid

from jobplatform.application.imports import ImportProgress
from jobplatform.application.ports import UnitOfWorkFactory
from jobplatform.domain.tenant import TenantContext


def find_import_progress(
    job_id: uuid.UUID, ctx: TenantContext, uow_factory: UnitOfWorkFactory
) -> ImportProgress | None:
    with uow_factory.for_tenant(ctx.tenant_id) as uow:
        return uow.import_progress.get(job_id)
