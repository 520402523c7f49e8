"""Import an uploaded CSV of contacts: streamed, committed in chunks, upserted by id."""

from __future__ import annotations

from pydantic import Field

from jobplatform.domain.job_types.spec import JobTypeSpec, Payload
from jobplatform.domain.queues import Queue
from jobplatform.domain.retry_policy import RetryPolicy


class CsvImportPayload(Payload):
    # The upload's name in the tenant's storage, as POST /v1/imports stored it.
    upload: str = Field(pattern=r"^uploads/[0-9a-f]{32}\.csv$")


CSV_IMPORT = JobTypeSpec(
    name="csv.import",
    queue=Queue.HEAVY,
    payload_model=CsvImportPayload,
    retry_policy=RetryPolicy(max_retries=3, backoff_factor=5.0, backoff_max=60.0),
    description="Imports an uploaded contacts CSV (POST /v1/imports), idempotently.",
    internal=True,
)
