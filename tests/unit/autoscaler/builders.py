"""Small builders for policy tests: an observation from a few numbers."""

from __future__ import annotations

from celery_autoscaler.policy import Observation, QueueSignals, Rates


def observe(
    ready: int = 0,
    reserved: int = 0,
    scheduled: int = 0,
    age: float | None = None,
    busy: int = 0,
    idle: int = 0,
    rates: Rates | None = None,
    error: str | None = None,
    known: bool = True,
    due_soon: tuple[tuple[float, int], ...] = (),
    fresh: tuple[int, ...] | None = None,
) -> Observation:
    queue = QueueSignals(ready, reserved, scheduled, 0, age, known, due_soon, fresh)
    return Observation(
        queues={"default": queue},
        rates=rates or Rates(),
        busy_workers=tuple(f"busy-{i}" for i in range(busy)),
        idle_workers=tuple(f"idle-{i}" for i in range(idle)),
        error=error,
    )
