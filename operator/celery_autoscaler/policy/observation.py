"""What one poll saw: per-queue signals, rates and workers, or the reason it saw nothing."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class QueueSignals:
    ready: int = 0  # over every priority sub-list
    reserved: int = 0  # delivered, not acked, not waiting for an ETA (prefetched or running)
    scheduled: int = 0  # ETA/countdown messages held in `unacked`
    retrying: int = 0  # of those, retries
    oldest_ready_age: float | None = None
    known: bool = True  # False: no key, no binding and no worker reports this queue

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

    @property
    def oldest_ready_age(self) -> float | None:
        ages = [q.oldest_ready_age for q in self.queues.values() if q.oldest_ready_age is not None]
        return max(ages) if ages else None

    @property
    def any_work(self) -> bool:
        return bool(self.ready or self.reserved or self.scheduled or self.busy_workers)
