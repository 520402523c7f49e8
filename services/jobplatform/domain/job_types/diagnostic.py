"""A configurable job for exercising the platform: sleeps, fails N times, or fails for good."""

from __future__ import annotations

from pydantic import Field, SecretStr

from jobplatform.domain.errors import NonRetryableError, RetryableError
from jobplatform.domain.job_types.spec import JobTypeSpec, Payload
from jobplatform.domain.queues import Queue
from jobplatform.domain.retry_policy import RetryPolicy


class DiagnosticPayload(Payload):
    sleep_seconds: float = Field(default=0.0, ge=0.0, le=600.0)
    # The first ``fail_times`` attempts raise a retryable error.
    fail_times: int = Field(default=0, ge=0, le=100)
    non_retryable: bool = False
    # Emit one tenant event (a side effect guarded by the idempotency ledger) before sleeping.
    emit_event: bool = False
    # Stands for a credential a real job would carry; never logged, never returned by the API.
    secret_token: SecretStr | None = None


class TransientDiagnosticFailure(RetryableError):
    pass


class PermanentDiagnosticFailure(NonRetryableError):
    pass


def check_attempt(payload: DiagnosticPayload, attempt: int) -> None:
    """Raise the failure the payload asks for on this 1-based attempt, if any."""
    if payload.non_retryable:
        raise PermanentDiagnosticFailure("diagnostic job asked to fail permanently")
    if attempt <= payload.fail_times:
        raise TransientDiagnosticFailure(f"diagnostic failure {attempt} of {payload.fail_times}")


DIAGNOSTIC = JobTypeSpec(
    name="diagnostic",
    queue=Queue.HEAVY,
    payload_model=DiagnosticPayload,
    retry_policy=RetryPolicy(max_retries=3, backoff_factor=1.0, backoff_max=8.0),
    description="Sleeps, fails on demand; for tests, demos and benchmarks.",
)
