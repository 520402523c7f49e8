"""Daily audit counts of a tenant: the record and the repository port.

A day's counts are recounted from its raw events and replace what was there, so a recount
run twice, or two at once, leaves the same rows. Once compaction is to delete a day's events,
the day is sealed first (counted one last time, under the day's lock); a sealed day is never
recounted, so deleting its events can no longer lower its counts."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class AuditDailyCount:
    day: date
    action: str
    count: int


class AuditDailyCounts(abc.ABC):
    @abc.abstractmethod
    def recount(self, day: date, *, seal: bool) -> bool:
        """Lock the day; unless it is sealed, replace its counts with a count of its events
        (and seal it when ``seal``). False when the day was sealed already."""

    @abc.abstractmethod
    def oldest_event_day(self, on_or_after: date, before: date) -> date | None:
        """The earliest day in [on_or_after, before) that still has raw events."""

    @abc.abstractmethod
    def delete_sealed_events(self, day: date, limit: int) -> int:
        """Delete at most ``limit`` raw events of ``day`` if the day is sealed (none
        otherwise); how many were deleted."""

    @abc.abstractmethod
    def between(self, first: date, last: date) -> Sequence[AuditDailyCount]:
        """The counts of the days first..last (both included), by day then action."""
