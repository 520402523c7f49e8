"""Request and response bodies of ``POST /v1/jobs:batch``."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from jobplatform.interface.http.nul_guard import NUL_MESSAGE, has_nul


class BatchItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=1, max_length=100, description="The job type (as for one job).")
    payload: dict[str, Any] = Field(default_factory=dict, description="The job type's fields.")
    idempotency_key: str | None = Field(
        default=None,
        pattern=r"^[\x21-\x7e]{1,255}$",
        description="Optional, 1 to 255 visible ASCII characters; the same meaning as the "
        "Idempotency-Key header of a single submit, and shared with it.",
    )

    @field_validator("type", "payload")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # Postgres cannot store U+0000; refuse it here, with a message, not in the database.
        if has_nul(value):
            raise ValueError(f"strings {NUL_MESSAGE}")
        return value


class SubmitBatchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jobs: list[BatchItem] = Field(
        description="The jobs, at most JOBPLATFORM_BATCH_MAX_JOBS; all are accepted or none."
    )


class BatchJobAccepted(BaseModel):
    job_id: uuid.UUID
    status: str
    created: bool


class BatchAccepted(BaseModel):
    jobs: list[BatchJobAccepted] = Field(description="One entry per submitted job, in order.")
