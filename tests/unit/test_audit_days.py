"""The day arithmetic of audit counts and compaction, and the aggregation's range rules."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from jobplatform.domain.audit_days import (
    MAX_DAY_SPAN,
    day_bounds,
    day_of,
    days_between,
    first_retained_day,
    recent_days,
)
from jobplatform.domain.job_types.audit_aggregate import AuditAggregatePayload
from jobplatform.domain.job_types.spec import stored_form


def test_an_event_counts_in_its_utc_day_whatever_its_offset() -> None:
    late_in_new_york = datetime(2026, 3, 1, 22, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert day_of(late_in_new_york) == date(2026, 3, 2)
    start, end = day_bounds(date(2026, 3, 2))
    assert start <= late_in_new_york < end
    assert (start, end - start) == (datetime(2026, 3, 2, tzinfo=UTC), timedelta(days=1))


def test_days_between_includes_both_ends_and_crosses_months_and_leap_days() -> None:
    assert days_between(date(2028, 2, 28), date(2028, 3, 1)) == [
        date(2028, 2, 28),
        date(2028, 2, 29),
        date(2028, 3, 1),
    ]
    assert days_between(date(2026, 3, 1), date(2026, 3, 1)) == [date(2026, 3, 1)]
    assert days_between(date(2026, 3, 2), date(2026, 3, 1)) == []


def test_recent_days_end_today_oldest_first() -> None:
    now = datetime(2026, 1, 1, 0, 5, tzinfo=UTC)
    assert recent_days(now, 2) == [date(2025, 12, 31), date(2026, 1, 1)]
    assert recent_days(now, 1) == [date(2026, 1, 1)]


def test_the_first_retained_day_is_the_retention_before_today() -> None:
    now = datetime(2026, 4, 10, 23, 59, tzinfo=UTC)
    assert first_retained_day(now, 90) == date(2026, 1, 10)
    assert first_retained_day(now, 1) == date(2026, 4, 9)


def test_a_range_is_both_days_in_order_and_bounded() -> None:
    assert AuditAggregatePayload().first_day is None
    last = date(2026, 1, 1) + timedelta(days=MAX_DAY_SPAN - 1)
    assert AuditAggregatePayload(first_day=date(2026, 1, 1), last_day=last).last_day == last
    for bad in (
        {"first_day": "2026-01-01"},
        {"last_day": "2026-01-01"},
        {"first_day": "2026-01-02", "last_day": "2026-01-01"},
        {"first_day": "2026-01-01", "last_day": str(last + timedelta(days=1))},
        {"first_day": "2026-13-01", "last_day": "2026-12-01"},
    ):
        with pytest.raises(ValidationError):
            AuditAggregatePayload.model_validate(bad)


def test_a_range_is_stored_as_json_and_read_back_the_same() -> None:
    payload = AuditAggregatePayload(first_day=date(2026, 3, 1), last_day=date(2026, 3, 4))
    stored = json.loads(json.dumps(stored_form(payload)))
    assert stored == {"first_day": "2026-03-01", "last_day": "2026-03-04"}
    assert AuditAggregatePayload.model_validate(stored) == payload
