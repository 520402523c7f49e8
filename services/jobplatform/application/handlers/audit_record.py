"""Write the audit event. Its id is the job's, so a retried or redelivered job writes it once."""

from __future__ import annotations

from jobplatform.application.audit import AuditEvent
from jobplatform.application.handlers.job_run import JobRun
from jobplatform.domain.job_types.audit_record import AuditRecordPayload


def handle_audit_record(payload: AuditRecordPayload, run: JobRun) -> None:
    job_id = run.job_id
    with run.units.open() as uow:
        job = uow.jobs.get(job_id)
        uow.audit.add(
            AuditEvent(
                id=job_id,
                action=payload.action,
                # When it happened is when it was submitted, not when a worker got to it.
                occurred_at=job.created_at if job is not None else run.clock.now(),
                recorded_at=run.clock.now(),
                actor=payload.actor,
                subject=payload.subject,
                request_id=run.context.request_id,
                data=payload.data,
            )
        )
        uow.commit()
