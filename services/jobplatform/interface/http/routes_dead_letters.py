"""/v1/dead-letters: inspect and replay the authenticated tenant's dead jobs."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from jobplatform.application.queries import list_dead_letters
from jobplatform.application.replay_dead_letter import replay_dead_letter
from jobplatform.interface.http.dependencies import Adapters, Tenant
from jobplatform.interface.http.responses import error_responses
from jobplatform.interface.http.schemas import DeadLetterPage, JobAccepted
from jobplatform.interface.http.views import dead_letter_view

router = APIRouter(prefix="/v1/dead-letters", tags=["dead letters"])


@router.get("", response_model=DeadLetterPage, responses=error_responses())
def list_(
    ctx: Tenant,
    c: Adapters,
    include_replayed: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeadLetterPage:
    letters = list_dead_letters(ctx, c.uow_factory, include_replayed=include_replayed, limit=limit)
    return DeadLetterPage(items=[dead_letter_view(x) for x in letters])


@router.post(
    "/{letter_id}/replay",
    status_code=202,
    response_model=JobAccepted,
    responses=error_responses(404, 409),
)
def replay(letter_id: uuid.UUID, ctx: Tenant, c: Adapters) -> JobAccepted:
    job = replay_dead_letter(letter_id, ctx, c.uow_factory, c.clock)
    return JobAccepted(job_id=job.id, status=job.status.value, created=False)
