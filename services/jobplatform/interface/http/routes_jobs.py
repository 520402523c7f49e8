"""/v1/jobs: submit, read and list the authenticated tenant's jobs."""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from jobplatform.application.import_queries import find_import_progress
from jobplatform.application.ports import JobIntake
from jobplatform.application.queries import get_job, list_jobs
from jobplatform.application.submit_job import SubmitJob, accept_job, submit_job
from jobplatform.domain.job_status import JobStatus
from jobplatform.domain.job_types.csv_import import CSV_IMPORT
from jobplatform.infrastructure.container import Container
from jobplatform.infrastructure.metrics import jobs_submitted
from jobplatform.interface.http.dependencies import Adapters, JsonBody, Tenant
from jobplatform.interface.http.responses import error_responses
from jobplatform.interface.http.schemas import (
    ImportProgressView,
    JobAccepted,
    JobPage,
    JobView,
    SubmitJobBody,
)
from jobplatform.interface.http.submit_route import SubmitRoute
from jobplatform.interface.http.views import CURSOR_FORMAT, decode_cursor, encode_cursor, job_view

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


async def submit(
    body: SubmitJobBody,
    request: Request,
    response: Response,
    ctx: Tenant,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", description="1 to 255 visible ASCII characters"),
    ] = None,
) -> JobAccepted:
    # Async: a submit without an idempotency key is awaited on the event loop (no thread
    # hand-off); one with a key reads before it writes, through a unit of work in the pool.
    if body.tenant_id is not None and body.tenant_id != str(ctx.tenant_id):
        raise HTTPException(403, "tenant_id in the body does not match the API key's tenant")
    if idempotency_key is not None and not IDEMPOTENCY_KEY.match(idempotency_key):
        raise HTTPException(422, "Idempotency-Key must be 1 to 255 visible ASCII characters")
    c: Container = request.app.state.container
    cmd = SubmitJob(type=body.type, payload=body.payload, idempotency_key=idempotency_key)
    if idempotency_key is None:
        intake: JobIntake = request.app.state.job_intake
        result = await accept_job(cmd, ctx, intake, c.clock)
    else:
        result = await run_in_threadpool(
            submit_job, cmd, ctx, c.uow_factory, c.clock, c.idempotency_ttl
        )
    job = result.job
    jobs_submitted(job.type, job.queue, "created" if result.created else "repeat").inc()
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    if not result.created:
        response.headers["Idempotent-Replayed"] = "true"
    return JobAccepted(job_id=job.id, status=job.status.value, created=result.created)


# Declared as FastAPI documents it; its inputs are resolved by SubmitRoute (the hot route).
router.add_api_route(
    "",
    submit,
    methods=["POST"],
    status_code=202,
    response_model=JobAccepted,
    responses=error_responses(400, 403, 409, 415),
    dependencies=[JsonBody],
    route_class_override=SubmitRoute,
)


@router.get("/{job_id}", response_model=JobView, responses=error_responses(404))
def read(job_id: uuid.UUID, ctx: Tenant, c: Adapters) -> JobView:
    job, attempts = get_job(job_id, ctx, c.uow_factory)
    view = job_view(job, attempts)
    if job.type == CSV_IMPORT.name:
        progress = find_import_progress(job_id, ctx, c.uow_factory)
        if progress is not None:
            view.progress = ImportProgressView(
                rows_total=progress.rows_total,
                rows_done=progress.rows_done,
                rows_rejected=progress.rows_rejected,
                rows_changed=progress.rows_changed,
                error_report=progress.error_report is not None,
            )
    return view


@router.get("", response_model=JobPage, responses=error_responses())
def list_(
    ctx: Tenant,
    c: Adapters,
    status: JobStatus | None = None,
    type: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description=CURSOR_FORMAT)] = None,
) -> JobPage:
    try:
        before = decode_cursor(cursor) if cursor else None
    except ValueError:
        raise HTTPException(422, "invalid cursor") from None
    jobs = list_jobs(ctx, c.uow_factory, status=status, job_type=type, limit=limit, before=before)
    next_cursor = encode_cursor(jobs[-1]) if len(jobs) == limit else None
    return JobPage(items=[job_view(j) for j in jobs], next_cursor=next_cursor)
