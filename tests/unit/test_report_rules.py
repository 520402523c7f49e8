"""Report generation's rules: the period and payload checked at submit, the file's lines, and
the handler paging rows into one stored file that is whole or absent."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from jobplatform.application.audit import AuditEvent
from jobplatform.application.handlers.report_generate import handle_report_generate
from jobplatform.application.job_services import JobServices
from jobplatform.application.report_queries import find_report
from jobplatform.application.reports import ReportedJob, ReportRows, SortKey
from jobplatform.application.storage import ObjectNotFound
from jobplatform.domain.job import Job
from jobplatform.domain.job_status import JobStatus
from jobplatform.domain.job_types.report_generate import ReportGeneratePayload
from jobplatform.domain.job_types.spec import stored_form
from jobplatform.domain.report import (
    ReportKind,
    ReportPeriod,
    json_line,
    report_job_id,
    report_name,
)
from jobplatform.domain.storage_key import StorageKey
from jobplatform.domain.tenant import TenantContext, TenantId
from jobplatform.infrastructure.storage.local_fs import LocalFileStorage
from unit.fakes import FakeUowFactory

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def test_a_period_is_two_instants_with_an_offset_start_before_end() -> None:
    period = ReportPeriod.parse("2026-03-01T00:00:00Z", "2026-03-01T02:00:00+01:00")
    assert period.start == T0 and period.end == T0 + timedelta(hours=1)


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        ("2026-03-01T00:00:00Z", "2026-03-01T00:00:00Z", "after start"),
        ("2026-03-02T00:00:00Z", "2026-03-01T00:00:00Z", "after start"),
        ("2026-03-01T00:00:00", "2026-03-02T00:00:00Z", "offset"),
        ("2026-03-01", "2026-03-02T00:00:00Z", "offset"),
        ("March", "2026-03-02T00:00:00Z", "ISO 8601"),
        ("2025-01-01T00:00:00Z", "2026-03-01T00:00:00Z", "at most 366 days"),
    ],
)
def test_a_bad_period_says_what_is_wrong(start: str, end: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        ReportPeriod.parse(start, end)


def test_the_payload_defaults_to_both_kinds_and_refuses_repeats_and_strangers() -> None:
    base = {"start": "2026-03-01T00:00:00Z", "end": "2026-03-02T00:00:00Z"}
    assert ReportGeneratePayload.model_validate(base).include == [
        ReportKind.JOBS,
        ReportKind.AUDIT_EVENTS,
    ]
    for bad in (
        {**base, "include": ["jobs", "jobs"]},
        {**base, "include": []},
        {**base, "include": ["contacts"]},
        {**base, "extra": 1},
        {**base, "end": "2026-02-01T00:00:00Z"},
    ):
        with pytest.raises(ValidationError):
            ReportGeneratePayload.model_validate(bad)


def test_the_stored_payload_is_plain_json_and_validates_back() -> None:
    payload = ReportGeneratePayload.model_validate(
        {"start": "2026-03-01T00:00:00Z", "end": "2026-03-02T00:00:00Z", "include": ["jobs"]}
    )
    stored = json.loads(json.dumps(stored_form(payload)))  # what Postgres keeps
    assert ReportGeneratePayload.model_validate(stored) == payload


def test_a_line_is_one_compact_json_object_with_its_record_kind_first() -> None:
    job_id = uuid.UUID(int=7)
    line = json_line("job", {"id": job_id, "at": T0.astimezone(timezone(timedelta(hours=2)))})
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == {
        "record": "job",
        "id": str(job_id),
        "at": "2026-03-01T02:00:00+02:00",
    }
    assert json_line("x", {"text": "a\nb\u00e9"}).count(b"\n") == 1  # newlines are escaped
    assert report_name(job_id) == f"reports/{job_id.hex}.jsonl"


def _job(n: int) -> ReportedJob:
    return ReportedJob(
        id=uuid.UUID(int=n),
        type="noop",
        queue="default",
        status="succeeded",
        attempts=1,
        error_class=None,
        request_id=None,
        created_at=T0 + timedelta(seconds=n // 2),  # two jobs share each second
        started_at=None,
        finished_at=None,
    )


def _event(n: int) -> AuditEvent:
    return AuditEvent(uuid.UUID(int=n), "a", T0 + timedelta(seconds=n), T0, data={"n": n})


@dataclass
class _Rows(ReportRows):
    """The tenant's rows in memory, paged like the SQL adapter; fails after ``fail_after``
    pages when set."""

    job_rows: list[ReportedJob]
    event_rows: list[AuditEvent]
    pages: list[int] = field(default_factory=list)
    fail_after: int | None = None

    def _page(self, rows: Sequence[Any], key: Any, after: SortKey | None, limit: int) -> Any:
        if self.fail_after is not None and len(self.pages) >= self.fail_after:
            raise ConnectionError("the database went away")
        page = [r for r in sorted(rows, key=key) if after is None or key(r) > after][:limit]
        self.pages.append(len(page))
        return page

    def jobs(self, period: ReportPeriod, after: SortKey | None, limit: int) -> Any:
        rows = [j for j in self.job_rows if period.start <= j.created_at < period.end]
        return self._page(rows, lambda j: (j.created_at, j.id), after, limit)

    def audit_events(self, period: ReportPeriod, after: SortKey | None, limit: int) -> Any:
        rows = [e for e in self.event_rows if period.start <= e.occurred_at < period.end]
        return self._page(rows, lambda e: (e.occurred_at, e.id), after, limit)


class _Units:
    def __init__(self, rows: _Rows):
        self.rows = rows

    def open(self) -> Any:
        rows = self.rows

        class Unit:
            report_rows = rows

            def __enter__(self) -> Unit:
                return self

            def __exit__(self, *_: object) -> None:
                return None

        return Unit()


TENANT = TenantId(uuid.UUID(int=99))


def _run(storage: LocalFileStorage, rows: _Rows, page_rows: int) -> Any:
    return SimpleNamespace(
        job_id=uuid.UUID(int=1000),
        context=SimpleNamespace(tenant_id=TENANT),
        units=_Units(rows),
        services=JobServices(storage=storage, report_page_rows=page_rows),
    )


def _stored(storage: LocalFileStorage) -> list[dict[str, Any]]:
    key = StorageKey.of(TENANT, report_name(uuid.UUID(int=1000)))
    with storage.open(key) as f:
        return [json.loads(line) for line in f]


PAYLOAD = ReportGeneratePayload(start="2026-03-01T00:00:02Z", end="2026-03-01T00:00:08Z")


@pytest.mark.parametrize("page_rows", [1, 4, 6, 100])
def test_the_handler_pages_every_row_of_the_period_once_in_order(
    tmp_path: Path, page_rows: int
) -> None:
    storage = LocalFileStorage(tmp_path)
    rows = _Rows([_job(n) for n in range(20)], [_event(n) for n in range(20)])
    handle_report_generate(PAYLOAD, _run(storage, rows, page_rows))
    lines = _stored(storage)
    # Jobs created in seconds 2..7 are ids 4..15; events of seconds 2..7 are ids 2..7.
    assert [(x["record"], uuid.UUID(x["id"]).int) for x in lines] == [
        *(("job", n) for n in range(4, 16)),
        *(("audit_event", n) for n in range(2, 8)),
    ]
    assert lines[-1]["data"] == {"n": 7}
    assert all(size <= page_rows for size in rows.pages)


def test_a_failed_attempt_leaves_the_previous_report_or_none_never_a_part(tmp_path: Path) -> None:
    storage = LocalFileStorage(tmp_path)
    rows = _Rows([_job(n) for n in range(20)], [], fail_after=2)
    with pytest.raises(ConnectionError):
        handle_report_generate(PAYLOAD, _run(storage, rows, 4))
    with pytest.raises(ObjectNotFound):
        _stored(storage)
    rows.fail_after = None
    handle_report_generate(PAYLOAD, _run(storage, rows, 4))
    first = _stored(storage)
    rows.fail_after, rows.pages = 1, []
    with pytest.raises(ConnectionError):
        handle_report_generate(PAYLOAD, _run(storage, rows, 4))
    assert _stored(storage) == first
    assert [p.name for p in (tmp_path / str(TENANT) / "reports").iterdir()] == [
        f"{uuid.UUID(int=1000).hex}.jsonl"
    ]


def _stored_job(uows: FakeUowFactory, tenant: TenantId, job_type: str, status: JobStatus) -> Job:
    job = Job(
        id=uuid.uuid4(),
        tenant_id=tenant,
        type=job_type,
        queue="heavy",
        payload={},
        status=status,
        attempts=1,
        attempts_before_series=0,
        request_id=None,
        created_at=T0,
        updated_at=T0,
    )
    uows.store.jobs[job.id] = job
    return job


def test_only_the_tenants_own_succeeded_report_job_has_a_report() -> None:
    uows = FakeUowFactory()
    mine, theirs = TenantContext(TENANT), TenantContext(TenantId(uuid.uuid4()))
    done = _stored_job(uows, TENANT, "report.generate", JobStatus.SUCCEEDED)
    assert find_report(done.id, mine, uows) == report_name(done.id)
    assert find_report(done.id, theirs, uows) is None
    for status in (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.RETRYING, JobStatus.DEAD):
        unfinished = _stored_job(uows, TENANT, "report.generate", status)
        assert find_report(unfinished.id, mine, uows) is None, status
    other_type = _stored_job(uows, TENANT, "noop", JobStatus.SUCCEEDED)
    assert find_report(other_type.id, mine, uows) is None
    assert find_report(uuid.uuid4(), mine, uows) is None


def test_a_reports_job_is_read_back_from_its_name_and_other_names_are_none() -> None:
    job_id = uuid.uuid4()
    assert report_job_id(report_name(job_id)) == job_id
    for other in (
        "uploads/" + job_id.hex + ".jsonl",
        "reports/" + job_id.hex + ".csv",
        "reports/not-a-uuid.jsonl",
        "reports/",
        "reports",
    ):
        assert report_job_id(other) is None
