"""Use cases: record an audit event without blocking the caller, and read a tenant's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from jobplatform.application.audit import AuditEvent
from jobplatform.application.audit_daily import AuditDailyCount
from jobplatform.application.ports import Clock, UnitOfWorkFactory
from jobplatform.application.submit_job import SubmitJob, Submitted, submit_job
from jobplatform.domain.job_types.audit_record import AUDIT_RECORD
from jobplatform.domain.tenant import TenantContext


def record_audit_event(
    action: str,
    ctx: TenantContext,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    idempotency_ttl: timedelta,
    *,
    actor: str | None = None,
    subject: str | None = None,
    data: dict[str, Any] | None = None,
) -> Submitted:
    """Enqueue the event (a job row and an outbox row, one short transaction); a worker
    writes it. The caller never waits for the audit log itself."""
    payload: dict[str, Any] = {"action": action, "actor": actor, "subject": subject}
    payload["data"] = data or {}
    return submit_job(
        SubmitJob(type=AUDIT_RECORD.name, payload=payload), ctx, uow_factory, clock, idempotency_ttl
    )


def list_audit_events(
    ctx: TenantContext, uow_factory: UnitOfWorkFactory, limit: int
) -> Sequence[AuditEvent]:
    with uow_factory.for_tenant(ctx.tenant_id) as uow:
        return uow.audit.recent(limit)


def read_audit_daily(
    ctx: TenantContext, uow_factory: UnitOfWorkFactory, first: date, last: date
) -> Sequence[AuditDailyCount]:
    """The tenant's daily audit counts of the days first..last (both included)."""
    with uow_factory.for_tenant(ctx.tenant_id) as uow:
        return uow.audit_daily.between(first, last)
