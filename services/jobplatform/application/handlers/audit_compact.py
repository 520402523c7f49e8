"""Raw audit events are kept for the audit retention; then each day is sealed (counted one
last time) and only after that are its events deleted, in bounded batches. The counts of a
compacted day therefore never lose an event, and a second or concurrent run only finds less
to delete."""

from datetime import date, timedelta

from jobplatform.application.handlers.batched_delete import delete_in_batches
from jobplatform.application.handlers.job_run import JobRun
from jobplatform.domain.audit_days import first_retained_day
from jobplatform.domain.job_types.audit_compact import AuditCompactPayload


def handle_audit_compact(payload: AuditCompactPayload, run: JobRun) -> None:
    keep_from = first_retained_day(run.clock.now(), run.services.audit_retention_days)
    limit = run.services.prune_batch_size
    after = date.min  # the walk starts at the oldest day with events
    while True:
        with run.units.open() as uow:
            day = uow.audit_daily.oldest_event_day(after, keep_from)
        if day is None:
            return
        _compact_day(run, day, limit)
        after = day + timedelta(days=1)


def _compact_day(run: JobRun, day: date, limit: int) -> None:
    with run.units.open() as uow:
        uow.audit_daily.recount(day, seal=True)  # a no-op when sealed already
        uow.commit()
    delete_in_batches(run.units, lambda uow: uow.audit_daily.delete_sealed_events(day, limit))
