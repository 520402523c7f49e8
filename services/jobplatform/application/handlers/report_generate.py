"""Report generation: page through the tenant's jobs and audit events of the period and write
each row as a line of one JSON Lines object in the tenant's storage.

The lines go straight from the pages into the storage write, which keeps them beside the
target until the last one and then renames the whole file into place. The name is the job's
own (``reports/<job id>.jsonl``): a retry or a redelivery writes the same name again, so there
is never a second report nor a partial one to see, and a failed attempt leaves nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from jobplatform.application.audit import AuditEvent
from jobplatform.application.handlers.job_run import JobRun
from jobplatform.application.ports import UnitOfWork
from jobplatform.application.reports import ReportedJob, SortKey
from jobplatform.domain.job_types.report_generate import ReportGeneratePayload
from jobplatform.domain.report import ReportKind, json_line, report_name
from jobplatform.domain.storage_key import StorageKey

Row = TypeVar("Row")


def job_line(job: ReportedJob) -> bytes:
    return json_line(
        "job",
        {
            "id": job.id,
            "type": job.type,
            "queue": job.queue,
            "status": job.status,
            "attempts": job.attempts,
            "error_class": job.error_class,
            "request_id": job.request_id,
            "created_at": job.created_at,
            "started_at": job.started_at,
            "finished_at": job.finished_at,
        },
    )


def audit_event_line(event: AuditEvent) -> bytes:
    return json_line(
        "audit_event",
        {
            "id": event.id,
            "action": event.action,
            "actor": event.actor,
            "subject": event.subject,
            "request_id": event.request_id,
            "occurred_at": event.occurred_at,
            "recorded_at": event.recorded_at,
            "data": event.data,
        },
    )


def _rows_in_pages(
    run: JobRun,
    read_page: Callable[[UnitOfWork, SortKey | None], Sequence[Row]],
    sort_key: Callable[[Row], SortKey],
    page_rows: int,
) -> Iterator[Row]:
    """Every row ``read_page`` gives, a page of ``page_rows`` per transaction, each page read
    after the last row of the one before (keyset paging: a page costs the same however deep)."""
    after: SortKey | None = None
    while True:
        with run.units.open() as uow:
            page = read_page(uow, after)
        yield from page
        if len(page) < page_rows:
            return
        after = sort_key(page[-1])


def handle_report_generate(payload: ReportGeneratePayload, run: JobRun) -> None:
    storage = run.services.require_storage()
    page_rows = run.services.report_page_rows
    period = payload.period()
    key = StorageKey.of(run.context.tenant_id, report_name(run.job_id))

    def lines() -> Iterator[bytes]:
        # Jobs first, then audit events, whatever order ``include`` names them in.
        if ReportKind.JOBS in payload.include:
            jobs = _rows_in_pages(
                run,
                lambda uow, after: uow.report_rows.jobs(period, after, page_rows),
                lambda job: (job.created_at, job.id),
                page_rows,
            )
            yield from (job_line(job) for job in jobs)
        if ReportKind.AUDIT_EVENTS in payload.include:
            events = _rows_in_pages(
                run,
                lambda uow, after: uow.report_rows.audit_events(period, after, page_rows),
                lambda event: (event.occurred_at, event.id),
                page_rows,
            )
            yield from (audit_event_line(event) for event in events)

    storage.write(key, lines())
