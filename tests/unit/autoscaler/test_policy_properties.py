"""Universal rules of the policy, over generated signals and histories."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from celery_autoscaler.policy import History, Observation, PoolSpec, Rates, decide, watch_fires
from celery_autoscaler.policy.recommend import fresh_burst_rate
from unit.autoscaler.builders import observe

counts = st.integers(min_value=0, max_value=5000)
ages = st.one_of(st.none(), st.floats(min_value=0, max_value=3600))
# The relay's new-job counts: the current second so far, the one before it (None: no counter).
fresh_counts = st.one_of(st.none(), st.tuples(st.integers(0, 500), st.integers(0, 500)))


@st.composite
def specs(draw: st.DrawFn) -> PoolSpec:
    low = draw(st.integers(0, 10))
    return PoolSpec(
        min_replicas=low,
        max_replicas=draw(st.integers(low, 60)),
        backlog_per_replica=draw(st.floats(0.5, 50)),
        max_wait_seconds=draw(st.floats(1, 600)),
        concurrency=draw(st.integers(1, 16)),
        fallback_replicas=draw(st.one_of(st.none(), st.integers(0, 80))),
    )


@st.composite
def observations(draw: st.DrawFn) -> Observation:
    return observe(
        ready=draw(counts),
        reserved=draw(counts),
        scheduled=draw(counts),
        age=draw(ages),
        busy=draw(st.integers(0, 40)),
        idle=draw(st.integers(0, 40)),
        rates=Rates(
            succeeded=draw(st.floats(0, 100)),
            retried=draw(st.floats(0, 100)),
            arrival=draw(st.floats(0, 100)),
            service_seconds=draw(st.one_of(st.none(), st.floats(0.01, 100))),
        ),
        error=draw(st.one_of(st.none(), st.just("down"))),
        known=draw(st.booleans()),
        fresh=draw(fresh_counts),
    )


@settings(max_examples=300)
@given(specs(), st.lists(observations(), min_size=1, max_size=8), st.integers(0, 80))
def test_bounds_always_hold(spec: PoolSpec, polls: list[Observation], current: int) -> None:
    history = History()
    for i, obs in enumerate(polls):
        decision, history = decide(spec, obs, current, history, now=i * 15.0)
        assert spec.min_replicas <= decision.replicas <= spec.max_replicas
        current = decision.replicas


@settings(max_examples=300)
@given(specs(), observations(), st.integers(0, 60))
def test_no_scale_down_on_missing_data(spec: PoolSpec, obs: Observation, current: int) -> None:
    current = min(current, spec.max_replicas)  # within bounds: a lowered max is not data
    failed = replace(obs, error="ConnectionError")
    decision, _ = decide(spec, failed, current, History(), now=0)
    assert decision.replicas >= current


@settings(max_examples=200)
@given(specs(), counts, counts, st.integers(0, 40), st.integers(0, 60), fresh_counts)
def test_monotone_in_backlog(
    spec: PoolSpec, a: int, b: int, busy: int, current: int, fresh: tuple[int, ...] | None
) -> None:
    low, high = sorted((a, b))
    current = max(spec.min_replicas, min(current, spec.max_replicas))
    first, _ = decide(spec, observe(ready=low, busy=busy, fresh=fresh), current, History(), 0)
    second, _ = decide(spec, observe(ready=high, busy=busy, fresh=fresh), current, History(), 0)
    assert first.replicas <= second.replicas


@settings(max_examples=300)
@given(
    specs(),
    counts,
    counts,
    ages,
    st.integers(0, 40),
    st.integers(0, 60),
    st.floats(0, 20),
    st.floats(0, 20),
    st.one_of(st.none(), st.floats(0.01, 1000)),
    fresh_counts,
)
def test_monotone_in_backlog_whatever_the_completion_rate(
    spec: PoolSpec,
    a: int,
    b: int,
    age: float | None,
    busy: int,
    current: int,
    completed: float,
    arrival: float,
    service: float | None,
    fresh: tuple[int, ...] | None,
) -> None:
    """Ready messages within the busy workers' reach ask for no pod, but more ready messages
    never ask for fewer replicas, at any completion rate, oldest age, offered load and count
    of new jobs."""
    low, high = sorted((a, b))
    current = max(spec.min_replicas, min(current, spec.max_replicas))
    rates = Rates(succeeded=completed, arrival=arrival, service_seconds=service)
    history = History(throughput=spec.max_replicas)  # the throughput term may act this poll

    def replicas(ready: int) -> int:
        obs = observe(ready=ready, age=age, busy=busy, rates=rates, fresh=fresh)
        return decide(spec, obs, current, history, now=0)[0].replicas

    assert replicas(low) <= replicas(high)


@settings(max_examples=100)
@given(
    st.integers(20, 200),
    st.lists(st.floats(-0.5, 0.5), min_size=40, max_size=120),
)
def test_no_flapping_on_noisy_input(mean: int, noise: list[float]) -> None:
    """A noisy backlog around a steady mean: after any scale-up, no scale-down inside the
    scale-down stabilisation window."""
    spec = PoolSpec(min_replicas=1, max_replicas=100, backlog_per_replica=5)
    window = spec.scale_down.stabilisation_seconds
    history, current, last_up = History(), 1, -1e9
    for i, n in enumerate(noise):
        now = i * 5.0
        obs = observe(ready=int(mean * (1 + n)), busy=min(current, 3), idle=max(0, current - 3))
        decision, history = decide(spec, obs, current, history, now)
        if decision.replicas > current:
            last_up = now
        elif decision.replicas < current:
            assert now - last_up > window
        current = decision.replicas


@settings(max_examples=200)
@given(specs(), counts, counts, counts, st.integers(0, 40), st.integers(0, 60), fresh_counts)
def test_monotone_in_backlog_after_a_previous_poll(
    spec: PoolSpec,
    before: int,
    a: int,
    b: int,
    busy: int,
    current: int,
    fresh: tuple[int, ...] | None,
) -> None:
    """The burst projection (growth since the last poll) keeps the rule: more waiting messages
    never ask for fewer replicas, whatever the previous poll saw."""
    low, high = sorted((a, b))
    current = max(spec.min_replicas, min(current, spec.max_replicas))
    _, history = decide(spec, observe(ready=before, busy=busy), current, History(), now=0)
    first, _ = decide(spec, observe(ready=low, busy=busy, fresh=fresh), current, history, now=10)
    second, _ = decide(spec, observe(ready=high, busy=busy, fresh=fresh), current, history, now=10)
    assert first.replicas <= second.replicas


@settings(max_examples=300)
@given(
    specs(),
    st.lists(observations(), min_size=1, max_size=6),
    st.integers(0, 40),
    st.integers(0, 40),
    st.integers(0, 80),
)
def test_nothing_waiting_removes_only_idle_workers(
    spec: PoolSpec, before: list[Observation], busy: int, idle: int, current: int
) -> None:
    """Whatever came before, a poll with no ready and no ETA message never goes below the
    busy workers and names only idle workers for removal (current within bounds: a lowered
    maxReplicas wins over the drain by design)."""
    current = max(spec.min_replicas, min(current, spec.max_replicas))
    history = History()
    for i, obs in enumerate(before):
        _, history = decide(spec, obs, current, history, now=i * 10.0)
    obs = observe(busy=busy, idle=idle)
    decision, _ = decide(spec, obs, current, history, now=len(before) * 10.0)
    if decision.replicas < current:
        assert decision.replicas >= min(busy, spec.max_replicas)
        assert set(decision.drain) <= set(obs.idle_workers)
        assert len(decision.drain) == current - decision.replicas or not obs.busy_workers


@settings(max_examples=300)
@given(specs(), observations(), st.lists(observations(), max_size=4), st.integers(0, 60))
def test_rates_alone_never_start_pods(
    spec: PoolSpec, sample: Observation, before: list[Observation], current: int
) -> None:
    """With nothing ready, reserved, due or running, no arrival rate however high adds a
    replica, nor any count of new jobs: the offered load only holds workers, it does not start
    them, and new jobs the pool has already taken wait for nothing."""
    current = max(spec.min_replicas, min(current, spec.max_replicas))
    history = History()
    for i, obs in enumerate(before):
        _, history = decide(spec, obs, current, history, now=i * 10.0)
    fresh = sample.queues["default"].fresh_arrivals
    quiet = observe(idle=len(sample.idle_workers), rates=sample.rates, fresh=fresh)
    decision, _ = decide(spec, quiet, current, history, now=len(before) * 10.0)
    assert decision.replicas <= current


@settings(max_examples=300)
@given(
    specs(),
    observations(),
    st.integers(0, 60),
    st.tuples(st.integers(0, 500), st.integers(0, 500)),
    st.integers(0, 500),
)
def test_the_burst_watch_is_monotone_and_fires_only_where_the_poll_sees_a_burst(
    spec: PoolSpec, last: Observation, replicas: int, seconds: tuple[int, int], more: int
) -> None:
    """More new jobs never silence the watch; and when it fires, the full poll it starts,
    seeing those counts with the messages it counted, finds the same burst (the watch only
    moves the poll earlier: it has no decision of its own)."""
    fires = watch_fires(spec, last, replicas, [seconds])
    busier = (seconds[0], seconds[1] + more)
    assert not fires or watch_fires(spec, last, replicas, [busier])
    assert not watch_fires(replace(spec, burst_watch_seconds=0), last, replicas, [busier])
    if fires:
        fresh = float(max(seconds))
        waiting = last.ready + last.reserved + round(fresh)
        rates = last.rates
        assert (
            fresh_burst_rate(spec, waiting, replicas, fresh, rates.service_seconds, rates.arrival)
            == fresh
        )
