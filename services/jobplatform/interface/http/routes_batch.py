"""POST /v1/jobs:batch: many jobs of the authenticated tenant in one request, all or none."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from jobplatform.application.errors import BatchIdempotencyConflict, InvalidBatch
from jobplatform.application.ports import JobIntake
from jobplatform.application.submit_batch import accept_batch, submit_batch
from jobplatform.application.submit_job import SubmitJob
from jobplatform.infrastructure.metrics import jobs_submitted
from jobplatform.interface.http.batch_schemas import (
    BatchAccepted,
    BatchJobAccepted,
    SubmitBatchBody,
)
from jobplatform.interface.http.dependencies import Adapters, JsonBody, Tenant
from jobplatform.interface.http.problem import field_error, problem
from jobplatform.interface.http.responses import error_responses

router = APIRouter(tags=["jobs"])


@router.post(
    "/v1/jobs:batch",
    status_code=202,
    response_model=BatchAccepted,
    responses=error_responses(400, 409, 415),
    dependencies=[JsonBody],
)
async def submit_many(
    body: SubmitBatchBody, request: Request, ctx: Tenant, c: Adapters
) -> BatchAccepted | JSONResponse:
    """Accept every job of the batch (each committed with its outbox message before the 202),
    or none: any invalid item refuses the whole batch with the place of each fault."""
    cmds = [SubmitJob(type=j.type, payload=j.payload, idempotency_key=j.idempotency_key)
            for j in body.jobs]  # fmt: skip
    try:
        # Without keys nothing is read before the write: awaited on the event loop, as a
        # single submit. With keys, a unit of work reads them first, in the thread pool.
        if all(cmd.idempotency_key is None for cmd in cmds):
            intake: JobIntake = request.app.state.job_intake
            results = await accept_batch(cmds, ctx, intake, c.clock, c.settings.batch_max_jobs)
        else:
            results = await run_in_threadpool(
                submit_batch,
                cmds,
                ctx,
                c.uow_factory,
                c.clock,
                c.idempotency_ttl,
                c.settings.batch_max_jobs,
            )
    except InvalidBatch as exc:
        raise RequestValidationError(
            [{**e, "loc": ["body", *e["loc"]]} for e in exc.errors]  # type: ignore[misc]
        ) from None
    except BatchIdempotencyConflict as exc:
        message = f"item {exc.index}: idempotency_key was already used for a different request"
        loc: list[str | int] = ["body", "jobs", exc.index, "idempotency_key"]
        return problem(409, message, [field_error(loc, message, "key_reused")])
    counted = Counter(
        (r.job.type, r.job.queue, "created" if r.created else "repeat") for r in results
    )
    for labels, n in counted.items():
        jobs_submitted(*labels).inc(n)
    return BatchAccepted(
        jobs=[
            BatchJobAccepted(job_id=r.job.id, status=r.job.status.value, created=r.created)
            for r in results
        ]
    )
