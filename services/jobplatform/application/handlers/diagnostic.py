import time

from jobplatform.application.handlers.job_run import JobRun
from jobplatform.domain.job_types.diagnostic import DiagnosticPayload, check_attempt


def handle_diagnostic(payload: DiagnosticPayload, run: JobRun) -> None:
    if payload.emit_event:
        tenant = run.context.tenant_id
        run.effects.once(
            "diagnostic-event",
            lambda: run.events.emit(
                tenant, "diagnostic", {"job_id": str(run.job_id), "attempt": run.attempt}
            ),
        )
    if payload.sleep_seconds:
        time.sleep(payload.sleep_seconds)
    check_attempt(payload, run.attempt)
