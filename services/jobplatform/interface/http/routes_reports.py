"""GET /v1/jobs/{id}/report: download a report.generate job's report (JSON Lines), streamed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from fastapi import APIRouter, HTTPException
from fastapi.responses import StreamingResponse

from jobplatform.application.report_queries import find_report
from jobplatform.application.storage import ObjectNotFound
from jobplatform.domain.storage_key import StorageKey
from jobplatform.interface.http.dependencies import Adapters, Tenant
from jobplatform.interface.http.responses import error_responses

router = APIRouter(prefix="/v1/jobs", tags=["reports"])
CHUNK = 1 << 16
MEDIA_TYPE = "application/x-ndjson"
NO_REPORT = "no report for this job (not a finished report.generate job of this tenant)"


@router.get(
    "/{job_id}/report",
    responses={**error_responses(404), 200: {"content": {MEDIA_TYPE: {}}}},
    response_class=StreamingResponse,
)
def report(job_id: uuid.UUID, ctx: Tenant, c: Adapters) -> StreamingResponse:
    name = find_report(job_id, ctx, c.uow_factory)
    if name is None:
        raise HTTPException(404, NO_REPORT)
    try:
        stream = c.storage.open(StorageKey.of(ctx.tenant_id, name))
    except ObjectNotFound:
        raise HTTPException(404, NO_REPORT) from None

    def chunks() -> Iterator[bytes]:
        with stream:
            yield from iter(lambda: stream.read(CHUNK), b"")

    return StreamingResponse(
        chunks(),
        media_type=MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="report-{job_id}.jsonl"'},
    )
