"""The raw recommendation: the largest of the demands, before bounds and windows."""

from __future__ import annotations

import math

from celery_autoscaler.policy.decision import Reason
from celery_autoscaler.policy.observation import Observation
from celery_autoscaler.policy.spec import PoolSpec


def projected_backlog(
    spec: PoolSpec, waiting: int, current: int, previous: tuple[float, int] | None, now: float
) -> float:
    """Ready + reserved messages as they will be when new pods serve.

    A burst (the backlog alone asks for more than twice the pool) that is still growing grows on
    while the next poll comes and the new pods start, so look that far ahead at the growth rate
    since the last poll. Only then: a queue that fills and drains around a steady level (retries
    coming due, noise) would otherwise buy pods for every upswing. Grows with `waiting` given
    the same history, so the decision stays monotone in the backlog.
    """
    if previous is None or now <= previous[0]:
        return float(waiting)
    if waiting <= 2 * current * spec.backlog_per_replica:
        return float(waiting)
    interval = now - previous[0]
    growth = (waiting - previous[1]) / interval
    if growth <= 0:
        return float(waiting)
    return waiting + growth * (interval + spec.pod_start_seconds)


# A second's new jobs are a burst when the trailing arrival rate makes that many in one second
# this improbable (Poisson). The rate is floored: a pool just started, or at zero, has none.
FRESH_BURST_IMPROBABILITY = 1e-3
FRESH_RATE_FLOOR = 0.2


def poisson_tail(count: float, rate: float) -> float:
    """P(N >= count) for N ~ Poisson(rate): how surprising `count` arrivals in a second are."""
    term, below = math.exp(-rate), 0.0
    for k in range(math.ceil(count)):
        below += term
        term *= rate / (k + 1)
    return max(0.0, 1.0 - below)


def fresh_burst_rate(
    spec: PoolSpec,
    waiting: int,
    current: int,
    fresh: float | None,
    service: float | None,
    trailing: float = 0.0,
    improbability: float = FRESH_BURST_IMPROBABILITY,
) -> float:
    """New jobs per second if they are a burst the pool cannot absorb, else 0.

    The backlog's growth since the last poll sees a burst that began just before this poll
    diluted over the whole interval; the relay's counter of new jobs sees its first seconds at
    their rate. Retries coming due are not in it, so a clump of them is never taken for one.
    `fresh` is the busiest of the seconds the probe read (the current one so far and the one
    before). A burst: that many new jobs in one second are improbable at the trailing arrival
    rate, retries included (`FRESH_BURST_IMPROBABILITY`: a Poisson stream has busy seconds,
    and a steady stream above its mean for a few seconds is not a burst), faster than the
    pool serves them (when its service time is known), messages wait, and, projected over
    the pod start, more than twice what the pool carries (as for the backlog's growth).
    The burst watch asks the same with a smaller `improbability` (policy/burst_watch.py).
    """
    if fresh is None or fresh <= 0 or waiting <= 0:
        return 0.0  # nothing waiting: the pool took them all (rates alone never start pods)
    if poisson_tail(fresh, max(trailing, FRESH_RATE_FLOOR)) > improbability:
        return 0.0
    if service is not None and fresh * service / spec.concurrency <= current:
        return 0.0
    if waiting + fresh * spec.pod_start_seconds <= 2 * current * spec.backlog_per_replica:
        return 0.0
    return fresh


def projected_with_fresh(
    spec: PoolSpec,
    waiting: int,
    current: int,
    previous: tuple[float, int] | None,
    now: float,
    obs: Observation,
) -> float:
    """`projected_backlog`, or, while new jobs arrive as a burst (`fresh_burst_rate`), the
    larger of it and two sizes of the burst in messages: the backlog plus the burst arriving on
    until the next poll and the new pods serve; and the burst's offered load (rate x service
    time / concurrency, Little's law) times the per-replica backlog, so the pool asked for is
    the one the burst keeps busy. Without the fresh-arrival counter it is `projected_backlog`
    alone. Grows with `waiting`: the gate does, and every term does or is constant."""
    projected = projected_backlog(spec, waiting, current, previous, now)
    rates = obs.rates
    fresh = obs.fresh_arrivals_per_second
    rate = fresh_burst_rate(spec, waiting, current, fresh, rates.service_seconds, rates.arrival)
    if rate <= 0:
        return projected
    interval = now - previous[0] if previous is not None and now > previous[0] else 0.0
    arriving = waiting + rate * (interval + spec.pod_start_seconds)
    service = rates.service_seconds
    load = rate * service / spec.concurrency if service is not None else 0.0
    return max(projected, arriving, load * spec.backlog_per_replica)


def offered_load(spec: PoolSpec, obs: Observation) -> float | None:
    """Arrival rate x service time / concurrency: the workers the stream keeps busy (Little)."""
    service = obs.rates.service_seconds
    if service is None or obs.rates.arrival <= 0:
        return None
    return obs.rates.arrival * service / spec.concurrency


def offered_load_floor(spec: PoolSpec, obs: Observation) -> int:
    """The fewest replicas a scale-down may leave: the offered load plus a margin, rounded up.

    At exactly the offered load the queue has no slack: every clump of arrivals waits, and a
    removed worker comes back a poll and a pod start later. Only a floor for scaling down: it
    never adds workers by itself (a trailing rate estimate is too noisy to start pods on).
    """
    load = offered_load(spec, obs)
    if load is None:
        return 0
    return math.ceil(load + spec.offered_load_margin - 1e-9)


def beyond_reach(spec: PoolSpec, obs: Observation) -> float:
    """Ready messages the running workers will not take within one pod start.

    A pod asked for now serves `pod_start_seconds` later; the messages busy workers reach
    before that (completion rate x pod start: Little's law on the workers) gain nothing from
    it, and the new pod idles once they are gone. With no completion rate yet (a pool just
    started, rates missing) every ready message counts, as before.
    """
    rates = obs.rates
    completions = rates.succeeded + rates.retried + rates.failed
    return max(0.0, obs.ready - completions * spec.pod_start_seconds)


def throughput_demand(
    spec: PoolSpec, obs: Observation, current: int, previous: int | None = None
) -> tuple[int, int]:
    """(the throughput term this poll, the term as it acts: the smaller of it and the last
    poll's, so one poll of a noisy trailing estimate does not start a pod)."""
    load = offered_load(spec, obs)
    if load is None or current == 0:
        return 0, 0
    busy = len(obs.busy_workers)
    needed = math.floor(load + 1e-9)
    raw = min(needed, busy + math.ceil(beyond_reach(spec, obs) / spec.backlog_per_replica))
    return raw, raw if previous is None else min(raw, previous)


def components(
    spec: PoolSpec,
    obs: Observation,
    current: int,
    previous: tuple[float, int] | None = None,
    now: float = 0.0,
    previous_throughput: int | None = None,
) -> dict[Reason, int]:
    """Replicas each signal asks for on its own.

    - backlog: ready and reserved messages over the per-replica target, projected over the
      pod start while a burst is growing (`projected_backlog`), or while new jobs arrive
      faster than the pool serves them (`projected_with_fresh`); ETA messages count only when
      due within `eta_lookahead_seconds` (a retry storm's next wave is known in advance);
    - latency: if the oldest ready message waited longer than the target, grow in proportion
      (at least one more replica), since the current pool is too slow for the arrival rate,
      but never by more than the ready messages beyond the busy workers' reach ask for
      (`beyond_reach`);
    - throughput: arrival rate x service time / concurrency (Little's law), rounded down and
      never above the busy workers plus what the ready messages beyond their reach within a
      pod start ask for (`beyond_reach`): a steady stream of
      short tasks keeps the replicas it keeps busy, but no idle headroom (only while the pool
      runs: the rates are a trailing window, and a pool at zero starts on real backlog); it
      adds workers only when two polls in a row ask for them (`throughput_demand`);
    - busy workers: never fewer replicas than workers running a task. Applied after the
      stabilisation window (`decide`), not inside it: the instantaneous busy count is the
      noisiest signal, and its peaks would hold idle pods for a whole window.
    """
    waiting = obs.ready + obs.reserved + obs.due_within(spec.eta_lookahead_seconds)
    projected = projected_with_fresh(spec, waiting, current, previous, now, obs)
    backlog = math.ceil(projected / spec.backlog_per_replica)
    latency = 0
    age = obs.oldest_ready_age
    if age is not None and age > spec.max_wait_seconds and obs.ready > 0:
        proportional = math.ceil(current * age / spec.max_wait_seconds)
        # Growing the pool in proportion assumes every worker drains the queue; when a few
        # messages wait behind long tasks, pods beyond what those messages ask for only idle.
        asked = current + math.ceil(beyond_reach(spec, obs) / spec.backlog_per_replica)
        latency = max(current + 1, min(proportional, asked))
    _, throughput = throughput_demand(spec, obs, current, previous_throughput)
    busy = len(obs.busy_workers)
    return {
        Reason.BACKLOG: backlog,
        Reason.LATENCY: latency,
        Reason.THROUGHPUT: throughput,
        Reason.BUSY_WORKERS: busy,
    }


def strongest(parts: dict[Reason, int]) -> tuple[int, Reason]:
    reason = max(parts, key=lambda r: parts[r])  # ties go to the first listed: backlog
    return parts[reason], reason


def strongest_demand(parts: dict[Reason, int]) -> tuple[int, Reason]:
    """The strongest signal that goes through the windows: every one but busy workers."""
    return strongest({r: n for r, n in parts.items() if r != Reason.BUSY_WORKERS})
