"""What bounds the burst trace under a cap, and what separates our policy from that bound:
written from runs of the reference pools (celery_autoscaler.simulator.bounds) and of ours,
so no sentence is true in advance."""

from __future__ import annotations

from dataclasses import dataclass, field

from autoscaling_windows import DONE, View, p95_ratio, view, worker_seconds_ratio

from celery_autoscaler.policy import PoolSpec
from celery_autoscaler.simulator.bounds import AsksMaxAtFirstWait, HeldAtMax, OursToMaxAtBurstStart
from celery_autoscaler.simulator.keda import KedaHpa
from celery_autoscaler.simulator.ours import Ours
from celery_autoscaler.simulator.run import Autoscaler, Result, simulate
from celery_autoscaler.simulator.traces import BURSTS, TRACES
from celery_autoscaler.simulator.world import POD_START_SECONDS, World

SHORTER_POLLS = (5, 2)  # the CRD's minimum is 2 s
GOAL_P95_RATIO = 0.5


@dataclass
class WatchedOurs(Ours):
    """Ours, remembering what each poll saw and asked for: (t, pods, ready, oldest age, asked)."""

    seen: list[tuple[int, int, int, float | None, int]] = field(default_factory=list)

    def step(self, t: int, world: World) -> None:
        before, pods = self.full_polls, len(world.pods)
        super().step(t, world)
        if self.full_polls > before and self.last_obs is not None:
            obs = self.last_obs
            self.seen.append((t, pods, obs.ready, obs.oldest_ready_age, len(world.pods)))


def first_message(seed: int) -> float:
    return min(t.arrival for t in TRACES["burst"](seed).tasks if t.arrival >= BURSTS[0][0])


def burst_times(seed: int, ours: WatchedOurs, run: Result, max_replicas: int) -> str:
    """From the first burst's first message: what the first poll saw and asked for, and
    the seconds to maxReplicas pods and to maxReplicas workers busy."""
    first = first_message(seed)
    # A poll at second t sees the messages arriving before t + 1 (the simulator's step).
    t, pods, ready, age, asked = next(p for p in ours.seen if p[0] + 1 > first)
    after = [s for s in run.series + run.tail if s[0] >= int(first)]
    at_max = next((s[0] for s in after if s[1] >= max_replicas), None)
    all_busy = next((s[0] for s in after if s[2] >= max_replicas), None)
    oldest = "" if age is None else f", the oldest waiting {max(0.0, age):.1f} s"
    return (
        f"  seed {seed}: the first message came at {first:.1f} s; the poll at {t} s saw"
        f" {ready} ready{oldest}, in a pool of {pods}, and asked for {asked};"
        f" {max_replicas} pods "
        # The poll at second t acts before the arrivals after t: 0 s, not "-0.3 s after".
        + ("never" if at_max is None else f"{max(0.0, at_max - first):.1f} s after the message")
        + f", {max_replicas} workers busy "
        + ("never" if all_busy is None else f"{all_busy - first:.1f} s after it")
        + "."
    )


def first_burst_demand(seed: int) -> float:
    """Workers the first burst keeps busy: its arrivals/s x their mean duration."""
    lo, hi = BURSTS[0]
    tasks = [t for t in TRACES["burst"](seed).tasks if lo <= t.arrival < hi]
    return len(tasks) / (hi - lo) * sum(t.duration for t in tasks) / len(tasks)


def _span(values: list[float], digits: int = 2) -> str:
    lo, hi = f"{min(values):.{digits}f}", f"{max(values):.{digits}f}"
    return lo if lo == hi else f"{lo} to {hi}"


def burst_limits(seeds: tuple[int, ...], max_replicas: int, watch: float) -> list[str]:
    """The report's lines on what limits the burst, from runs made here (ours with the burst
    watch every `watch` seconds; 0: off)."""
    spec = PoolSpec(max_replicas=max_replicas, burst_watch_seconds=watch)
    held, asks, told, ours_r, demand, times = [], [], [], [], [], []
    polled: dict[int, list[tuple[float, float]]] = {poll: [] for poll in SHORTER_POLLS}

    def ratios(scaler: Autoscaler, seed: int, keda: View, floor: int = 0) -> tuple[float, float]:
        run = view(simulate(TRACES["burst"](seed), scaler, "x", seed, floor), DONE)
        return p95_ratio(run, keda), worker_seconds_ratio(run, keda)

    for seed in seeds:
        trace = TRACES["burst"](seed)
        keda = view(simulate(trace, KedaHpa(max_replicas=max_replicas), "k", seed), DONE)
        held.append(ratios(HeldAtMax(max_replicas), seed, keda, max_replicas))
        asks.append(ratios(AsksMaxAtFirstWait(max_replicas), seed, keda))
        oracle = OursToMaxAtBurstStart(Ours(spec), BURSTS, max_replicas)
        told.append(ratios(oracle, seed, keda))
        watched = WatchedOurs(spec)
        run = simulate(TRACES["burst"](seed), watched, "ours", seed)
        ours_r.append(
            (p95_ratio(view(run, DONE), keda), worker_seconds_ratio(view(run, DONE), keda))
        )
        times.append(burst_times(seed, watched, run, max_replicas))
        demand.append(first_burst_demand(seed))
        for poll, figures in polled.items():
            figures.append(ratios(Ours(spec, poll=poll), seed, keda))
    lo, hi = BURSTS[0]
    default = Ours(spec).poll

    def both(figures: list[tuple[float, float]]) -> str:
        met = sum(r <= GOAL_P95_RATIO and w <= 1.0 for r, w in figures)
        return (
            f"p95 {_span([r for r, _ in figures])} of KEDA's at"
            f" {_span([w for _, w in figures])} of its worker-seconds"
            f" (p95 and worker-seconds within the goal on {met} of {len(figures)} seeds)"
        )

    lines = [
        f"- The first burst ({lo}-{hi} s) keeps {_span(demand, 0)} workers busy"
        f" (its arrivals/s x their mean duration, seeds {', '.join(map(str, seeds))})"
        f" against maxReplicas {max_replicas}.",
        f"- Lower bound: a pool held at {max_replicas} pods, every one warm from the trace's"
        f" first second: {both(held)}.",
        f"- A pool that asks for {max_replicas} the very second a message waits with no idle"
        f" worker (pods start in {POD_START_SECONDS:g} s): {both(asks)}.",
        f"- Ours told when the bursts are, asking for {max_replicas} at its first poll inside"
        f" one (polled every {default} s): {both(told)}.",
        f"- Ours: {both(ours_r)}. The first burst, per seed:",
        *times,
    ]
    for poll, figures in polled.items():
        lines.append(
            f"- Ours polled every {poll} s (pollIntervalSeconds; the report's runs use"
            f" {default} s), the same policy: {both(figures)}."
        )
    return lines
