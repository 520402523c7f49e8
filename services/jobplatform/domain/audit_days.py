"""Audit days: the calendar days (UTC) that audit events are counted by and compacted by."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

# The widest range one aggregation job recounts: a year, so one job stays bounded.
MAX_DAY_SPAN = 366


def day_of(moment: datetime) -> date:
    """The UTC day an event that occurred at ``moment`` is counted in."""
    return moment.astimezone(UTC).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The half-open UTC interval [start, end) of ``day``."""
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


def days_between(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last``, both included; empty when ``last`` is earlier."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def recent_days(now: datetime, count: int) -> list[date]:
    """The ``count`` most recent days up to and including today: the days still open to new
    events (an event is recorded shortly after it occurred), oldest first."""
    today = day_of(now)
    return days_between(today - timedelta(days=count - 1), today)


def first_retained_day(now: datetime, retention_days: int) -> date:
    """The oldest day whose events are kept: events of earlier days may be compacted."""
    return day_of(now) - timedelta(days=retention_days)
