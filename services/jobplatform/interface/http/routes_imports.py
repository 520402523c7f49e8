"""/v1/imports: upload a contacts CSV (streamed to storage, 413 past the configured size) and
download an import's error report. Progress is in GET /v1/jobs/{id}."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from jobplatform.application.import_queries import find_import_progress
from jobplatform.application.storage import ObjectNotFound
from jobplatform.application.submit_job import SubmitJob, submit_job
from jobplatform.domain.job_types.csv_import import CSV_IMPORT
from jobplatform.domain.storage_key import StorageKey
from jobplatform.interface.http.dependencies import Adapters, Tenant
from jobplatform.interface.http.responses import error_responses
from jobplatform.interface.http.schemas import JobAccepted

router = APIRouter(prefix="/v1/imports", tags=["imports"])
CHUNK = 1 << 16


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"the upload is larger than {limit} bytes")


@router.post(
    "",
    status_code=202,
    response_model=JobAccepted,
    responses=error_responses(413, 415),
    openapi_extra={"requestBody": {"content": {"text/csv": {}}, "required": True}},
)
async def upload(request: Request, ctx: Tenant, c: Adapters) -> JobAccepted:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "text/csv":
        raise HTTPException(415, "the upload must be declared as text/csv")
    limit = c.settings.import_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    name = f"uploads/{uuid.uuid4().hex}.csv"
    key = StorageKey.of(ctx.tenant_id, name)
    # Spooled to a temporary file as it arrives (never whole in memory), then stored.
    with tempfile.TemporaryFile() as spool:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            spool.write(chunk)
        spool.seek(0)
        await run_in_threadpool(c.storage.write, key, iter(lambda: spool.read(CHUNK), b""))
    submitted = await run_in_threadpool(
        submit_job,
        SubmitJob(type=CSV_IMPORT.name, payload={"upload": name}, internal_allowed=True),
        ctx,
        c.uow_factory,
        c.clock,
        c.idempotency_ttl,
    )
    job = submitted.job
    return JobAccepted(job_id=job.id, status=job.status.value, created=submitted.created)


@router.get(
    "/{job_id}/errors",
    responses={**error_responses(404), 200: {"content": {"text/csv": {}}}},
    response_class=StreamingResponse,
)
def error_report(job_id: uuid.UUID, ctx: Tenant, c: Adapters) -> StreamingResponse:
    progress = find_import_progress(job_id, ctx, c.uow_factory)
    if progress is None or progress.error_report is None:
        raise HTTPException(404, "no error report for this import")
    try:
        stream = c.storage.open(StorageKey.of(ctx.tenant_id, progress.error_report))
    except ObjectNotFound:
        raise HTTPException(404, "no error report for this import") from None

    def chunks() -> Iterator[bytes]:
        with stream:
            yield from iter(lambda: stream.read(CHUNK), b"")

    return StreamingResponse(chunks(), media_type="text/csv")
