"""Report generation's port: the tenant's rows of a period, a page at a time.

Pages are keyset pages (after the last row's sort key), each read in a transaction of its
own: a report of any length holds one page in memory and no transaction open for long."""

from __future__ import annotations

import abc
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from jobplatform.application.audit import AuditEvent
from jobplatform.domain.report import ReportPeriod

# A row's place in the report's order: its time, then its id.
SortKey = tuple[datetime, uuid.UUID]


@dataclass(frozen=True, slots=True)
class ReportedJob:
    """What a report says of a job. Never the payload: it may hold a tenant's secrets."""

    id: uuid.UUID
    type: str
    queue: str
    status: str
    attempts: int
    error_class: str | None
    request_id: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ReportRows(abc.ABC):
    @abc.abstractmethod
    def jobs(
        self, period: ReportPeriod, after: SortKey | None, limit: int
    ) -> Sequence[ReportedJob]:
        """Up to ``limit`` jobs created in the period, by (created_at, id), after ``after``."""

    @abc.abstractmethod
    def audit_events(
        self, period: ReportPeriod, after: SortKey | None, limit: int
    ) -> Sequence[AuditEvent]:
        """Up to ``limit`` audit events that occurred in the period, by (occurred_at, id),
        after ``after``."""
