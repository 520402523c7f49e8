"""Seeded arrival traces: burst, diurnal, retry storm, long tasks."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Task:
    arrival: float
    duration: float
    priority: int = 0  # Celery priority step; KEDA's LLEN sees only step 0
    failures: int = 0  # attempts that fail (and retry after `countdown`) before success
    countdown: float = 60.0
    ready_at: float = 0.0  # when the current attempt became ready (arrival or ETA due)


@dataclass(frozen=True)
class Trace:
    name: str
    seconds: int
    tasks: list[Task]


def _poisson(rng: random.Random, rate: Callable[[int], float], seconds: int) -> list[float]:
    times = []
    for t in range(seconds):
        # Thinning per second: good enough below ~50 arrivals/s.
        n = _poisson_count(rng, rate(t))
        times += sorted(t + rng.random() for _ in range(n))
    return times


def _poisson_count(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k, p = k + 1, p * rng.random()
    return k


def _priority(rng: random.Random) -> int:
    return 0 if rng.random() < 0.7 else rng.choice((3, 6, 9))


# The burst trace's bursts, [start, end) in seconds, at BURST_RATE arrivals/s (else 0.2/s).
BURSTS = ((600, 660), (2400, 2430))
BURST_RATE = 8.0


def burst(seed: int, offset: int = 0) -> Trace:
    """Bursts at BURSTS, or `offset` seconds later: the originals start on a poll of ours (and
    on an HPA sync), which flatters whoever reads the queue at that second."""
    rng = random.Random(seed)

    def rate(t: int) -> float:
        return BURST_RATE if any(lo + offset <= t < hi + offset for lo, hi in BURSTS) else 0.2

    times = _poisson(rng, rate, 3600)
    tasks = [Task(a, rng.expovariate(1 / 5), _priority(rng)) for a in times]
    return Trace("burst" if not offset else f"burst_plus{offset}s", 3600, tasks)


def shifted_burst(offset: int) -> Callable[[int], Trace]:
    def make(seed: int) -> Trace:
        return burst(seed, offset)

    return make


def diurnal(seed: int) -> Trace:
    rng = random.Random(seed)

    def rate(t: int) -> float:  # one compressed "day" per hour, twice
        return 0.05 + 1.5 * (1 - math.cos(2 * math.pi * t / 3600)) / 2

    times = _poisson(rng, rate, 7200)
    return Trace("diurnal", 7200, [Task(a, rng.expovariate(1 / 8), _priority(rng)) for a in times])


def retry_storm(seed: int) -> Trace:
    rng = random.Random(seed)
    times = _poisson(rng, lambda t: 0.5, 3600)
    tasks = []
    for a in times:
        failing = 900 <= a < 2100 and rng.random() < 0.7
        tasks.append(Task(a, rng.expovariate(1 / 2), _priority(rng), 3 if failing else 0, 60.0))
    return Trace("retry_storm", 3600, tasks)


def long_tasks(seed: int) -> Trace:
    rng = random.Random(seed)
    short = [
        Task(a, rng.expovariate(1 / 3), _priority(rng)) for a in _poisson(rng, lambda t: 0.4, 3600)
    ]
    long = [Task(a, rng.uniform(300, 900), 0) for a in _poisson(rng, lambda t: 0.02, 3600)]
    return Trace("long_tasks", 3600, sorted(short + long, key=lambda task: task.arrival))


TRACES: dict[str, Callable[[int], Trace]] = {
    "burst": burst,
    # The same bursts a few seconds off our poll (every 10 s) and the HPA's sync (15 s).
    "burst_plus3s": shifted_burst(3),
    "burst_plus7s": shifted_burst(7),
    "diurnal": diurnal,
    "retry_storm": retry_storm,
    "long_tasks": long_tasks,
}
