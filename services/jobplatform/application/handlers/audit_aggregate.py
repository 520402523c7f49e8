"""Recount a tenant's audit events into daily counts, a day per transaction."""

from jobplatform.application.handlers.job_run import JobRun
from jobplatform.domain.audit_days import days_between, recent_days
from jobplatform.domain.job_types.audit_aggregate import AuditAggregatePayload


def handle_audit_aggregate(payload: AuditAggregatePayload, run: JobRun) -> None:
    if payload.first_day is not None and payload.last_day is not None:
        days = days_between(payload.first_day, payload.last_day)
    else:
        days = recent_days(run.clock.now(), run.services.audit_open_days)
    for day in days:
        # A sealed day is skipped: its events may be gone already, and its counts are final.
        with run.units.open() as uow:
            uow.audit_daily.recount(day, seal=False)
            uow.commit()
