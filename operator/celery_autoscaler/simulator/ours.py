"""Our policy on the simulated pool: the same `decide` the operator runs, fed like the probe,
on the same schedule (`PollClock`: a full poll every `poll` seconds, and between them the
burst watch every spec.burst_watch_seconds, reading only the new-job counter)."""

from __future__ import annotations

from dataclasses import dataclass, field

from celery_autoscaler.policy import (
    WATCH,
    History,
    Observation,
    PollClock,
    PoolSpec,
    QueueSignals,
    decide,
)
from celery_autoscaler.policy.observation import FRESH_WINDOW_SECONDS, due_soon
from celery_autoscaler.policy.rates import Counters, RateWindow
from celery_autoscaler.simulator.world import World


@dataclass
class Ours:
    spec: PoolSpec
    poll: int = 10
    history: History = field(default_factory=History)
    rates: RateWindow = field(default_factory=RateWindow)
    retry_storm_polls: int = 0
    fresh_counter: bool = True  # the relay's count of new jobs per second (False: unknown)
    clock: PollClock = field(default_factory=PollClock)
    full_polls: int = 0
    watched_polls: int = 0  # full polls the watch started
    last_obs: Observation | None = None

    def fresh_arrivals(self, world: World) -> tuple[int, ...] | None:
        """What the probe reads from the relay's counter: new messages in the current second
        so far, then in each complete second before it. The step at t sees every arrival
        before t + 1 (as the ready list does): second t as it stands at the poll."""
        if not self.fresh_counter:
            return None
        now = int(world.now)
        return tuple(world.fresh[now - back] for back in range(FRESH_WINDOW_SECONDS + 1))

    def observe(self, world: World) -> Observation:
        busy, idle = world.busy_idle()
        oldest = max((world.now - t.ready_at for t in world.ready), default=None)
        running = sum(1 for p in world.pods.values() if p.task is not None)
        soon = due_soon([(due - world.now, 1) for due, _, _ in world.eta])
        queue = QueueSignals(
            len(world.ready),
            running,
            len(world.eta),
            len(world.eta),
            oldest,
            due_soon=soon,
            fresh_arrivals=self.fresh_arrivals(world),
        )
        counters = Counters(
            world.now, world.succeeded, world.retried, 0, len(world.ready) + running
        )
        return Observation({"q": queue}, self.rates.push(counters, len(busy)), busy, idle)

    def step(self, t: int, world: World) -> None:
        why = self.clock.due(self.spec, self.poll, t, lambda: [self.fresh_arrivals(world)])
        if why is None:
            return
        self.full_polls += 1
        self.watched_polls += why == WATCH
        self.last_obs = obs = self.observe(world)
        decision, self.history = decide(self.spec, obs, len(world.pods), self.history, float(t))
        self.clock.polled(t, obs, decision.replicas, why)
        if any(a.type == "RetryStorm" for a in decision.alerts):
            self.retry_storm_polls += 1
        if decision.replicas != len(world.pods):
            world.scale(decision.replicas, decision.drain)
