"""Request and response bodies of the HTTP API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SubmitJobBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=1, max_length=100)
    payload: dict[str, Any] = Field(default_factory=dict)
    # Accepted only to be checked: the tenant always comes from the API key.
    tenant_id: str | None = None


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


class Problem(BaseModel):
    """Every error body: a human message, and field errors where there are some."""

    detail: str
    errors: list[dict[str, Any]] | None = None
