"""Run one trace against one autoscaler and collect what the report compares.

Two windows are counted. The trace's own seconds (its hour): what the report always showed.
And until the work is done: after the last arrival the run goes on (retries still due come
in) until every message has been served and the scaler has brought the pool back to
minReplicas under its own rules, or until a cap. Only the second compares the same work: a
scaler that ends the hour with messages queued has not paid for serving them yet.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Protocol

from celery_autoscaler.simulator.traces import Trace
from celery_autoscaler.simulator.world import World

DRAIN_CAP_SECONDS = 3 * 3600  # generous: KEDA's cooldown and HPA's window are 300 s each


class Autoscaler(Protocol):
    def step(self, t: int, world: World) -> None: ...


def p95(waits: list[float]) -> float:
    if not waits:
        return 0.0
    ordered = sorted(waits)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


@dataclass
class Result:
    name: str
    waits: list[float]  # served within the trace's seconds
    worker_seconds: float  # within the trace's seconds
    interrupted: int
    scale_events: int
    series: list[tuple[int, int, int, int]] = field(default_factory=list)  # t, pods, busy, ready
    # Until the work is done and the pool is back at minReplicas (or the cap):
    done_waits: list[float] = field(default_factory=list)  # plus, at the cap, waits so far
    done_worker_seconds: float = 0.0
    done_interrupted: int = 0
    done_scale_events: int = 0
    done_at: int = 0  # seconds from the trace's start
    capped: bool = False
    unfinished: int = 0  # messages ready, due or running at the end (non-zero only at the cap)
    tail: list[tuple[int, int, int, int]] = field(default_factory=list)  # series after the trace

    @property
    def p95_wait(self) -> float:
        return p95(self.waits)

    @property
    def p95_done_wait(self) -> float:
        return p95(self.done_waits)


def running(world: World) -> int:
    return sum(1 for p in world.pods.values() if p.task is not None)


def finished(world: World, min_replicas: int) -> bool:
    """Nothing ready, due or running, and the pool is at its floor."""
    idle = not world.ready and not world.eta and not running(world)
    return idle and len(world.pods) == min_replicas


def simulate(
    trace: Trace,
    scaler: Autoscaler,
    name: str,
    seed: int,
    min_replicas: int = 0,
    cap: int = DRAIN_CAP_SECONDS,
) -> Result:
    world = World(random.Random(seed))
    tasks = iter(sorted(trace.tasks, key=lambda task: task.arrival))
    pending = next(tasks, None)
    series: list[tuple[int, int, int, int]] = []
    tail: list[tuple[int, int, int, int]] = []
    hour: tuple[int, float, int, int] | None = None  # waits, worker-s, interrupted, events
    t = 0
    while True:
        if t == trace.seconds:
            hour = (len(world.waits), world.worker_seconds, world.interrupted, world.scale_events)
        if t >= trace.seconds and (finished(world, min_replicas) or t >= trace.seconds + cap):
            break
        while pending is not None and pending.arrival < t + 1:
            world.arrive(pending)
            pending = next(tasks, None)
        scaler.step(t, world)
        world.tick(1.0)
        (series if t < trace.seconds else tail).append(
            (t, len(world.pods), running(world), len(world.ready))
        )
        t += 1
    assert hour is not None
    served, worker_seconds, interrupted, scale_events = hour
    capped = not finished(world, min_replicas)
    # At the cap, messages never served count with the wait they have had so far (a floor).
    waiting = [world.now - task.ready_at for task in world.ready]
    return Result(
        name,
        world.waits[:served],
        worker_seconds,
        interrupted,
        scale_events,
        series,
        done_waits=world.waits + waiting,
        done_worker_seconds=world.worker_seconds,
        done_interrupted=world.interrupted,
        done_scale_events=world.scale_events,
        done_at=t,
        capped=capped,
        unfinished=len(world.ready) + len(world.eta) + running(world),
        tail=tail,
    )
