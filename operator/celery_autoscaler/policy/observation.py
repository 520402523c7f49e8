"""What one poll saw: per-queue signals, rates and workers, or the reason it saw nothing."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

DUE_SOON_SECONDS = 60.0  # how far ahead the probe reports ETA messages by due time
# The probe reads new-job counts of the current second so far and of this many complete
# seconds before it: a burst that began in the last complete second shows there at its own
# rate, one that began since shows in the current second. A longer look back only adds
# seconds where a steady stream's chance clump passes for a burst.
FRESH_WINDOW_SECONDS = 1


def due_soon(seconds_until_due: list[tuple[float, float]]) -> tuple[tuple[float, int], ...]:
    """(seconds until due, count) pairs -> whole seconds, merged, soonest first, only those
    due within DUE_SOON_SECONDS (a retry storm's `unacked` holds thousands of ETAs)."""
    merged: dict[float, float] = {}
    for due, count in seconds_until_due:
        if 0 < due <= DUE_SOON_SECONDS:
            second = float(math.ceil(due))
            merged[second] = merged.get(second, 0.0) + count
    return tuple((s, round(n)) for s, n in sorted(merged.items()) if round(n) > 0)


def busiest_second(counts: Iterable[Sequence[int] | None]) -> float | None:
    """New jobs in the busiest second over every queue that keeps the counter (per queue:
    the current second so far, then complete seconds, newest first); None if none does."""
    known = [c for c in counts if c is not None]
    if not known:
        return None
    return float(max((sum(s) for s in zip(*known, strict=False)), default=0))


@dataclass(frozen=True, slots=True)
class QueueSignals:
    ready: int = 0  # over every priority sub-list
    reserved: int = 0  # delivered, not acked, not waiting for an ETA (prefetched or running)
    scheduled: int = 0  # ETA/countdown messages held in `unacked`
    retrying: int = 0  # of those, retries
    oldest_ready_age: float | None = None
    known: bool = True  # False: no key, no binding and no worker reports this queue
    # (seconds until due, messages) for the ETA messages due soon, soonest first: a retry
    # due in a few seconds is as good as ready, and the pool can be ready for it.
    due_soon: tuple[tuple[float, int], ...] = ()
    # New jobs published in the current second so far, then in each of the FRESH_WINDOW_SECONDS
    # complete seconds before it (the relay's counter; retries are not in it). None: the
    # counter is not kept for this queue.
    fresh_arrivals: tuple[int, ...] | None = None

    def due_within(self, seconds: float) -> int:
        return sum(n for due, n in self.due_soon if due <= seconds)

    @property
    def work(self) -> int:
        return self.ready + self.reserved + self.scheduled


@dataclass(frozen=True, slots=True)
class Rates:
    """Per-second rates over the last poll interval, from the counters workers publish."""

    succeeded: float = 0.0
    retried: float = 0.0
    failed: float = 0.0
    arrival: float = 0.0  # completions plus backlog growth
    service_seconds: float | None = None  # mean task time (busy slots / completion rate)


@dataclass(frozen=True, slots=True)
class Observation:
    """A poll's result. `error` set means the probe failed and nothing else is trustworthy."""

    queues: dict[str, QueueSignals] = field(default_factory=dict)
    rates: Rates = field(default_factory=Rates)
    busy_workers: tuple[str, ...] = ()  # Celery hostnames (= pod names)
    idle_workers: tuple[str, ...] = ()
    error: str | None = None

    @property
    def complete(self) -> bool:
        return self.error is None and all(q.known for q in self.queues.values())

    @property
    def ready(self) -> int:
        return sum(q.ready for q in self.queues.values())

    @property
    def reserved(self) -> int:
        return sum(q.reserved for q in self.queues.values())

    @property
    def scheduled(self) -> int:
        return sum(q.scheduled for q in self.queues.values())

    def due_within(self, seconds: float) -> int:
        return sum(q.due_within(seconds) for q in self.queues.values())

    @property
    def oldest_ready_age(self) -> float | None:
        ages = [q.oldest_ready_age for q in self.queues.values() if q.oldest_ready_age is not None]
        return max(ages) if ages else None

    @property
    def fresh_arrivals_per_second(self) -> float | None:
        """New jobs in the busiest of the seconds read (the current one so far and the
        complete one before it), over every queue that keeps the counter; None if none does.
        The busiest, not the mean: a burst that began within them would be diluted by the
        quiet second before it."""
        return busiest_second(q.fresh_arrivals for q in self.queues.values())

    @property
    def any_work(self) -> bool:
        return bool(self.ready or self.reserved or self.scheduled or self.busy_workers)
