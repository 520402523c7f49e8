"""Records -> response bodies. The payload shown is the job type's public form."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from datetime import datetime

from jobplatform.application.records import AttemptRecord, DeadLetter
from jobplatform.domain.job import Job
from jobplatform.domain.job_types.catalog import CATALOG
from jobplatform.domain.job_types.spec import public_form
from jobplatform.interface.http.schemas import AttemptView, DeadLetterView, JobView


def job_view(job: Job, attempts: Sequence[AttemptRecord] = ()) -> JobView:
    spec = CATALOG.get(job.type)
    payload = public_form(spec.payload_model.model_validate(job.payload)) if spec else {}
    return JobView(
        id=job.id,
        type=job.type,
        queue=job.queue,
        status=job.status.value,
        attempts=job.attempts,
        error_class=job.error_class,
        request_id=job.request_id,
        payload=payload,
        created_at=job.created_at,
        updated_at=job.updated_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        attempt_history=[
            AttemptView(
                attempt=a.attempt,
                started_at=a.started_at,
                finished_at=a.finished_at,
                outcome=a.outcome,
                error_class=a.error_class,
                retry_delay=a.retry_delay,
            )
            for a in attempts
        ],
    )


def dead_letter_view(letter: DeadLetter) -> DeadLetterView:
    return DeadLetterView(
        id=letter.id,
        job_id=letter.job_id,
        job_type=letter.job_type,
        reason=letter.reason,
        attempts=letter.attempts,
        error_class=letter.error_class,
        created_at=letter.created_at,
        replayed_at=letter.replayed_at,
    )


CURSOR_FORMAT = (
    "Opaque: pass the `next_cursor` of the previous page. It is the URL-safe base64 of "
    "`<created_at ISO 8601>|<job id>` of the last job shown; anything else is a 422."
)


def encode_cursor(job: Job) -> str:
    raw = f"{job.created_at.isoformat()}|{job.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """Raises ValueError on anything that is not a cursor this API issued."""
    try:
        created, job_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(created), uuid.UUID(job_id)
    except Exception as exc:
        raise ValueError("invalid cursor") from exc
