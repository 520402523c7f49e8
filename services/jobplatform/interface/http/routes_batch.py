"""POST /v1/jobs:batch: many jobs of the authenticated tenant in one request, all or none."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from jobplatform.application.errors import BatchIdempotencyConflict, InvalidBatch
from jobplatform.application.submit_batch import submit_batch
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
def submit_many(body: SubmitBatchBody, ctx: Tenant, c: Adapters) -> BatchAccepted | JSONResponse:
    """Accept every job of the batch (each committed with its outbox message before the 202),
    or none: any invalid item refuses the whole batch with the place of each fault."""
    cmds = [SubmitJob(type=j.type, payload=j.payload, idempotency_key=j.idempotency_key)
            for j in body.jobs]  # fmt: skip
    try:
        results = submit_batch(
            cmds, ctx, c.uow_factory, c.clock, c.idempotency_ttl, c.settings.batch_max_jobs
        )
    except InvalidBatch as exc:
        raise RequestValidationError(
            [{**e, "loc": ["body", *e["loc"]]} for e in exc.errors]  # type: ignore[misc]
        ) from None
    except BatchIdempotencyConflict as exc:
        message = f"item {exc.index}: idempotency_key was already used for a different request"
        loc: list[str | int] = ["body", "jobs", exc.index, "idempotency_key"]
        return problem(409, message, [field_error(loc, message, "key_reused")])
    for r in results:
        jobs_submitted(r.job.type, r.job.queue, "created" if r.created else "repeat").inc()
    return BatchAccepted(
        jobs=[
            BatchJobAccepted(job_id=r.job.id, status=r.job.status.value, created=r.created)
            for r in results
        ]
    )
