"""A Celery pool in simulated seconds: ready messages, ETA retries, pods that start and work.

Workers take one message at a time (prefetch 1), so a busy pod holds exactly one task.
Removing a busy pod interrupts its task: it goes back to the queue and runs again later.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter, deque
from dataclasses import dataclass, field

from celery_autoscaler.simulator.traces import Task

POD_START_SECONDS = 10.0  # image cached: scheduling plus Python and Celery start-up


@dataclass
class Pod:
    name: str
    ready_at: float
    task: Task | None = None
    busy_until: float = 0.0


@dataclass
class World:
    rng: random.Random
    now: float = 0.0
    ready: deque[Task] = field(default_factory=deque)
    eta: list[tuple[float, int, Task]] = field(default_factory=list)
    pods: dict[str, Pod] = field(default_factory=dict)
    succeeded: int = 0
    retried: int = 0
    waits: list[float] = field(default_factory=list)
    interrupted: int = 0
    worker_seconds: float = 0.0
    scale_events: int = 0
    # New messages per second of arrival, as the outbox relay counts them: retries come due
    # from `eta` and interrupted tasks are redelivered, and neither passes through here.
    fresh: Counter[int] = field(default_factory=Counter)
    _serial: int = 0

    def arrive(self, task: Task) -> None:
        task.ready_at = task.arrival
        self.ready.append(task)
        self.fresh[int(task.arrival)] += 1

    def tick(self, dt: float) -> None:
        self.now += dt
        while self.eta and self.eta[0][0] <= self.now:
            due, _, task = heapq.heappop(self.eta)
            task.ready_at = due
            self.ready.append(task)
        for pod in self.pods.values():
            if pod.task is not None and pod.busy_until <= self.now:
                self._finish(pod.task)
                pod.task = None
            if pod.task is None and pod.ready_at <= self.now and self.ready:
                task = self.ready.popleft()
                self.waits.append(self.now - task.ready_at)
                pod.task, pod.busy_until = task, self.now + task.duration
        self.worker_seconds += len(self.pods) * dt

    def _finish(self, task: Task) -> None:
        if task.failures > 0:
            task.failures -= 1
            self.retried += 1
            self._serial += 1
            heapq.heappush(self.eta, (self.now + task.countdown, self._serial, task))
        else:
            self.succeeded += 1

    def scale(self, replicas: int, drain: tuple[str, ...] = ()) -> None:
        """Set the pod count; remove the named pods first, then random ones (the
        ReplicaSet's choice among equals, as when nobody sets a pod-deletion-cost)."""
        if replicas != len(self.pods):
            self.scale_events += 1
        while len(self.pods) < replicas:
            self._serial += 1
            name = f"w-{self._serial}"
            self.pods[name] = Pod(name, self.now + POD_START_SECONDS)
        victims = [n for n in drain if n in self.pods][: max(0, len(self.pods) - replicas)]
        others = sorted(set(self.pods) - set(victims))
        self.rng.shuffle(others)
        victims += others[: max(0, len(self.pods) - replicas - len(victims))]
        for name in victims:
            pod = self.pods.pop(name)
            if pod.task is not None:
                self.interrupted += 1
                self.ready.appendleft(pod.task)  # redelivered; its wait keeps counting

    def plain_list_length(self) -> int:
        """What `LLEN queue` returns: only the priority-0 list."""
        return sum(1 for t in self.ready if t.priority == 0)

    def busy_idle(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Workers that report a heartbeat (started pods), by state."""
        started = [p for p in self.pods.values() if p.ready_at <= self.now]
        busy = tuple(sorted(p.name for p in started if p.task is not None))
        idle = tuple(sorted(p.name for p in started if p.task is None))
        return busy, idle
