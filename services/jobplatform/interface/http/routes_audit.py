"""/v1/audit-events: record an audit event (enqueued, 202 at once) and read the tenant's, one
by one or as daily counts."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from jobplatform.application.audit_events import (
    list_audit_events,
    read_audit_daily,
    record_audit_event,
)
from jobplatform.domain.audit_days import MAX_DAY_SPAN
from jobplatform.interface.http.dependencies import Adapters, JsonBody, Tenant
from jobplatform.interface.http.responses import error_responses
from jobplatform.interface.http.schemas import JobAccepted

router = APIRouter(prefix="/v1/audit-events", tags=["audit"])


class AuditEventBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")
    actor: str | None = Field(default=None, max_length=200)
    subject: str | None = Field(default=None, max_length=200)
    data: dict[str, Any] = Field(default_factory=dict)


class AuditEventView(BaseModel):
    id: uuid.UUID
    action: str
    actor: str | None
    subject: str | None
    request_id: str | None
    data: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime


class AuditEventPage(BaseModel):
    items: list[AuditEventView]


class AuditDailyView(BaseModel):
    day: date
    action: str
    count: int


class AuditDailyPage(BaseModel):
    items: list[AuditDailyView]


@router.post(
    "",
    status_code=202,
    response_model=JobAccepted,
    responses=error_responses(415),
    dependencies=[JsonBody],
)
def record(body: AuditEventBody, ctx: Tenant, c: Adapters) -> JobAccepted:
    submitted = record_audit_event(
        body.action,
        ctx,
        c.uow_factory,
        c.clock,
        c.idempotency_ttl,
        actor=body.actor,
        subject=body.subject,
        data=body.data,
    )
    job = submitted.job
    return JobAccepted(job_id=job.id, status=job.status.value, created=submitted.created)


@router.get("", response_model=AuditEventPage, responses=error_responses())
def list_(
    ctx: Tenant, c: Adapters, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> AuditEventPage:
    return AuditEventPage(
        items=[
            AuditEventView(
                id=e.id,
                action=e.action,
                actor=e.actor,
                subject=e.subject,
                request_id=e.request_id,
                data=e.data,
                occurred_at=e.occurred_at,
                recorded_at=e.recorded_at,
            )
            for e in list_audit_events(ctx, c.uow_factory, limit)
        ]
    )


@router.get("/daily", response_model=AuditDailyPage, responses=error_responses())
def daily(
    ctx: Tenant,
    c: Adapters,
    first: Annotated[date, Query(alias="from")],
    last: Annotated[date, Query(alias="to")],
) -> AuditDailyPage:
    if last < first:
        raise HTTPException(422, "to is before from")
    if (last - first).days >= MAX_DAY_SPAN:
        raise HTTPException(422, f"a range spans at most {MAX_DAY_SPAN} days")
    return AuditDailyPage(
        items=[
            AuditDailyView(day=d.day, action=d.action, count=d.count)
            for d in read_audit_daily(ctx, c.uow_factory, first, last)
        ]
    )
