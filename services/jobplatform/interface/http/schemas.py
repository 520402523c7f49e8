"""Request and response bodies of the HTTP API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from jobplatform.domain.job_types.catalog import CATALOG, submittable_types
from jobplatform.interface.http.nul_guard import NUL_MESSAGE, has_nul

_TYPES_DOC = "; ".join(f"`{n}`: {CATALOG[n].description}" for n in submittable_types())
_TYPE_NAMES: list[JsonValue] = [*submittable_types()]


class SubmitJobBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(
        min_length=1,
        max_length=100,
        description=f"The job type. Accepted types: {_TYPES_DOC}",
        json_schema_extra={"examples": _TYPE_NAMES},
    )
    payload: dict[str, Any] = Field(
        default_factory=dict, description="The job type's fields (see each type's docs)."
    )
    # Accepted only to be checked: the tenant always comes from the API key.
    tenant_id: str | None = None

    @field_validator("type", "payload", "tenant_id")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # Postgres cannot store U+0000; refuse it here, with a message, not in the database.
        if has_nul(value):
            raise ValueError(f"strings {NUL_MESSAGE}")
        return value


class JobAccepted(BaseModel):
    job_id: uuid.UUID
    status: str
    created: bool


class AttemptView(BaseModel):
    attempt: int
    started_at: datetime
    finished_at: datetime
    outcome: str
    error_class: str | None
    retry_delay: float | None


class ImportProgressView(BaseModel):
    rows_total: int
    rows_done: int
    rows_rejected: int
    rows_changed: int
    # GET /v1/imports/{id}/errors serves it when set.
    error_report: bool


class JobView(BaseModel):
    id: uuid.UUID
    type: str
    queue: str
    status: str
    attempts: int
    error_class: str | None
    request_id: str | None
    payload: dict[str, Any]  # secret fields masked
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempt_history: list[AttemptView] = Field(default_factory=list)
    # A CSV import's rows done of total (only for csv.import jobs, once counted).
    progress: ImportProgressView | None = None


class JobPage(BaseModel):
    items: list[JobView]
    next_cursor: str | None


class DeadLetterView(BaseModel):
    id: uuid.UUID
    job_id: uuid.UUID
    job_type: str
    reason: str
    attempts: int
    error_class: str | None
    created_at: datetime
    replayed_at: datetime | None


class DeadLetterPage(BaseModel):
    items: list[DeadLetterView]


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="where: body, query, header or path, then names")
    msg: str
    type: str


class Problem(BaseModel):
    """Every error body: a human message, and at least one error naming what is wrong."""

    detail: str
    errors: list[FieldError]
