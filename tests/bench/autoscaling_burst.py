"""What bounds the burst trace under a cap, and what separates our policy from that bound.

Two reference pools run the same trace as the report's scalers:
- held at maxReplicas, every pod warm from the first second: no scaler can serve the
  trace sooner with that many pods, so its p95 wait is a lower bound for any scaler capped
  there (its worker-seconds are the price of never scaling);
- asks for maxReplicas the very second a message waits with no idle worker (every second,
  pods start cold): what is left once polling and the policy's caution are gone.
Every sentence is written from the runs: none is true in advance.
"""

from __future__ import annotations

from dataclasses import dataclass

from autoscaling_windows import DONE, p95_ratio, view, worker_seconds_ratio

from celery_autoscaler.simulator.keda import KedaHpa
from celery_autoscaler.simulator.run import Result, simulate
from celery_autoscaler.simulator.traces import BURSTS, TRACES
from celery_autoscaler.simulator.world import POD_START_SECONDS, World


@dataclass
class HeldAtMax:
    """maxReplicas pods, warm from t=0, never removed."""

    replicas: int

    def step(self, t: int, world: World) -> None:
        if t == 0:
            world.scale(self.replicas)
            for pod in world.pods.values():
                pod.ready_at = 0.0


@dataclass
class AsksMaxAtFirstWait:
    """Sees every second: a message waiting with no idle worker -> maxReplicas at once;
    nothing ready -> the idle workers go (none busy is ever removed)."""

    replicas: int

    def step(self, t: int, world: World) -> None:
        busy, idle = world.busy_idle()
        starting = len(world.pods) - len(busy) - len(idle)
        if world.ready and not idle and not starting and len(world.pods) < self.replicas:
            world.scale(self.replicas)
        elif not world.ready and idle:
            world.scale(len(world.pods) - len(idle), idle)


@dataclass(frozen=True)
class BurstTimes:
    """Seconds from the first burst's first message to our pool at maxReplicas and to
    maxReplicas workers busy; the pool's size before that message, and after its second."""

    first_message: float
    pods_before: int
    pods_that_second: int
    at_max: int | None
    all_busy: int | None


def burst_times(seed: int, ours: Result, max_replicas: int) -> BurstTimes:
    start = BURSTS[0][0]
    first = min(t.arrival for t in TRACES["burst"](seed).tasks if t.arrival >= start)
    every = ours.series + ours.tail
    before = [s for s in every if s[0] < int(first)]
    after = [s for s in every if s[0] >= int(first)]
    at_max = next((t for t, pods, _, _ in after if pods >= max_replicas), None)
    all_busy = next((t for t, _, busy, _ in after if busy >= max_replicas), None)
    return BurstTimes(
        first, before[-1][1] if before else 0, after[0][1] if after else 0, at_max, all_busy
    )


def first_burst_demand(seed: int) -> float:
    """Workers the first burst keeps busy: its arrivals/s x their mean duration."""
    lo, hi = BURSTS[0]
    tasks = [t for t in TRACES["burst"](seed).tasks if lo <= t.arrival < hi]
    return len(tasks) / (hi - lo) * sum(t.duration for t in tasks) / len(tasks)


def _span(values: list[float], digits: int = 2) -> str:
    lo, hi = f"{min(values):.{digits}f}", f"{max(values):.{digits}f}"
    return lo if lo == hi else f"{lo} to {hi}"


def burst_limits(seeds: tuple[int, ...], max_replicas: int, ours: dict[int, Result]) -> list[str]:
    """The report's lines on what limits the burst, from runs made here."""
    held, asks, keda_p95, ours_p95, our_ws, demand = [], [], [], [], [], []
    times = {}
    for seed in seeds:
        trace = TRACES["burst"]
        keda = view(simulate(trace(seed), KedaHpa(max_replicas=max_replicas), "k", seed), DONE)
        h = view(simulate(trace(seed), HeldAtMax(max_replicas), "held", seed, max_replicas), DONE)
        a = view(simulate(trace(seed), AsksMaxAtFirstWait(max_replicas), "asks", seed), DONE)
        o = view(ours[seed], DONE)
        held.append((p95_ratio(h, keda), worker_seconds_ratio(h, keda)))
        asks.append((p95_ratio(a, keda), worker_seconds_ratio(a, keda)))
        ours_p95.append(p95_ratio(o, keda))
        our_ws.append(worker_seconds_ratio(o, keda))
        keda_p95.append(keda.p95_wait)
        demand.append(first_burst_demand(seed))
        times[seed] = burst_times(seed, ours[seed], max_replicas)
    lo, hi = BURSTS[0]
    held_met = sum(r <= 0.5 for r, _ in held)
    lines = [
        f"- The first burst ({lo}-{hi} s) keeps {_span(demand, 0)} workers busy"
        f" (its arrivals/s x their mean duration, seeds {', '.join(map(str, seeds))})"
        f" against maxReplicas {max_replicas}.",
        f"- Lower bound: a pool held at {max_replicas} pods, every one warm from the trace's"
        f" first second, has a p95 wait of {_span([r for r, _ in held])} of KEDA's"
        f" (until done; {held_met} of {len(seeds)} seeds at or under the goal's 0.50), at"
        f" {_span([w for _, w in held])} of KEDA's worker-seconds.",
        f"- A pool that asks for {max_replicas} the very second a message waits with no idle"
        f" worker (pods start in {POD_START_SECONDS:g} s): p95 {_span([r for r, _ in asks])}"
        f" of KEDA's at {_span([w for _, w in asks])} of its worker-seconds.",
        f"- Ours: p95 {_span(ours_p95)} of KEDA's at {_span(our_ws)} of its worker-seconds."
        " From the first burst's first message:",
    ]
    for seed in seeds:
        bt = times[seed]
        at_max = "never" if bt.at_max is None else f"{bt.at_max - bt.first_message:.1f} s later"
        busy = "never" if bt.all_busy is None else f"{bt.all_busy - bt.first_message:.1f} s"
        lines.append(
            f"  seed {seed}: it came at {bt.first_message:.1f} s to a pool of {bt.pods_before}"
            f" ({bt.pods_that_second} by the end of that second); our pool reached"
            f" {max_replicas} pods {at_max}, {max_replicas} workers busy after {busy}."
        )
    return lines
