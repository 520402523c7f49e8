"""Run one trace against one autoscaler and collect what the report compares."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Protocol

from celery_autoscaler.simulator.traces import Trace
from celery_autoscaler.simulator.world import World


class Autoscaler(Protocol):
    def step(self, t: int, world: World) -> None: ...


@dataclass
class Result:
    name: str
    waits: list[float]
    worker_seconds: float
    interrupted: int
    scale_events: int
    series: list[tuple[int, int, int, int]] = field(default_factory=list)  # t, pods, busy, ready

    @property
    def p95_wait(self) -> float:
        if not self.waits:
            return 0.0
        ordered = sorted(self.waits)
        return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def simulate(trace: Trace, scaler: Autoscaler, name: str, seed: int) -> Result:
    world = World(random.Random(seed))
    tasks = iter(sorted(trace.tasks, key=lambda task: task.arrival))
    pending = next(tasks, None)
    series = []
    for t in range(trace.seconds):
        while pending is not None and pending.arrival < t + 1:
            world.arrive(pending)
            pending = next(tasks, None)
        scaler.step(t, world)
        world.tick(1.0)
        busy = sum(1 for p in world.pods.values() if p.task is not None)
        series.append((t, len(world.pods), busy, len(world.ready)))
    return Result(
        name, world.waits, world.worker_seconds, world.interrupted, world.scale_events, series
    )
