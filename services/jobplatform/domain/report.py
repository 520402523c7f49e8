"""Report generation's pure rules: the period a tenant asks for, and the file's lines.

A report is JSON Lines (one JSON object per line, UTF-8, ``\\n`` after each): a line can be
written as soon as its row is read, so the file is streamed and never whole in memory, and a
reader can process it line by line. Each line carries ``record`` (``job`` or
``audit_event``) first; timestamps are ISO 8601 with their offset, ids are strings."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from jobplatform.domain.errors import NonRetryableError

# The longest period one report covers: a bound on how long one job runs.
MAX_PERIOD = timedelta(days=366)


class ReportKind(StrEnum):
    JOBS = "jobs"
    AUDIT_EVENTS = "audit_events"


class ReportPeriodInvalid(NonRetryableError):
    """The stored payload's period does not parse (it was checked at submit: a replay of an
    old row, or a row written by hand)."""


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """``start <= t < end``: a row on the end instant belongs to the next period."""

    start: datetime
    end: datetime

    @classmethod
    def parse(cls, start: str, end: str) -> ReportPeriod:
        """The period of two ISO 8601 instants with an offset; ValueError says what is wrong."""
        period = cls(_instant(start, "start"), _instant(end, "end"))
        if period.end <= period.start:
            raise ValueError("end must be after start")
        if period.end - period.start > MAX_PERIOD:
            raise ValueError(f"a report covers at most {MAX_PERIOD.days} days")
        return period


def _instant(text: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name} is not an ISO 8601 date and time") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} needs a UTC offset (e.g. Z or +02:00)")
    return value


def report_name(job_id: uuid.UUID) -> str:
    """The report's name in the tenant's storage: one per job, so a retry replaces it."""
    return f"reports/{job_id.hex}.jsonl"


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no JSON form in a report")


def json_line(record: str, fields: Mapping[str, object]) -> bytes:
    """One line of the report: ``{"record": ..., **fields}`` and a newline."""
    text = json.dumps(
        {"record": record, **fields}, default=_plain, ensure_ascii=False, separators=(",", ":")
    )
    return (text + "\n").encode()


def report_job_id(name: str) -> uuid.UUID | None:
    """The job a stored report belongs to, from its name (``reports/<hex>.jsonl``); None for
    any other name."""
    folder, _, file = name.partition("/")
    if folder != "reports" or not file.endswith(".jsonl"):
        return None
    try:
        return uuid.UUID(hex=file.removesuffix(".jsonl"))
    except ValueError:
        return None
