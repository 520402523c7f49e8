"""The policy's rules one at a time, each against the complaint it answers (FACTS.md)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from celery_autoscaler.policy import Decision, History, PoolSpec, Rates, Reason, decide
from celery_autoscaler.policy.observation import due_soon
from celery_autoscaler.policy.recommend import poisson_tail
from unit.autoscaler.builders import observe

SPEC = PoolSpec(min_replicas=0, max_replicas=20, backlog_per_replica=5, max_wait_seconds=30)


def run(
    spec: PoolSpec, obs: object, current: int, history: History | None = None, now: float = 1000.0
) -> tuple[Decision, History]:
    return decide(spec, obs, current, history or History(), now)  # type: ignore[arg-type]


def test_backlog_counts_ready_and_reserved() -> None:
    decision, _ = run(SPEC, observe(ready=12, reserved=8, busy=1), current=1)
    assert decision.replicas == 4 and decision.reason == Reason.BACKLOG


def test_latency_grows_a_pool_whose_backlog_looks_small() -> None:
    """The backlog asks for 5 (or 1); the oldest message waited 1.5x (or 3x) the target."""
    decision, _ = run(SPEC, observe(ready=22, age=45, busy=4), current=4)
    assert decision.replicas == 6 and decision.reason == Reason.LATENCY
    few, _ = run(SPEC, observe(ready=3, age=90, busy=2), current=2)
    assert few.replicas == 3 and few.reason == Reason.LATENCY  # not 6: 3 messages ask for 1


def test_throughput_floor_from_arrival_rate_and_service_time() -> None:
    rates = Rates(succeeded=4, arrival=4, service_seconds=2.5)
    spec = replace(SPEC, concurrency=2)
    decision, _ = run(spec, observe(busy=5, rates=rates), current=5)
    assert decision.replicas == 5 and decision.components["Throughput"] == 5


def test_throughput_adds_workers_only_when_two_polls_ask() -> None:
    rates = Rates(succeeded=0.5, arrival=4, service_seconds=2.0)  # offered load 8
    calm = Rates(succeeded=1, arrival=1, service_seconds=2.0)  # offered load 2
    _, history = run(SPEC, observe(busy=6, rates=calm), current=6, now=990)
    first, history = run(SPEC, observe(ready=20, busy=6, rates=rates), current=6, history=history)
    assert first.components["Throughput"] == 2 and first.replicas == 6
    second, _ = run(
        SPEC, observe(ready=20, busy=6, rates=rates), current=6, history=history, now=1010
    )
    assert second.components["Throughput"] == 8 and second.replicas == 8


def test_offered_load_holds_a_scale_down_but_never_adds() -> None:
    rates = Rates(succeeded=1, arrival=1, service_seconds=3.0)  # offered load 3 -> keep 4
    spec = replace(SPEC, scale_down=replace(SPEC.scale_down, stabilisation_seconds=0))
    held, _ = run(spec, observe(ready=1, busy=1, idle=5, rates=rates), current=6)
    assert held.replicas == 4 and held.reason == Reason.OFFERED_LOAD
    assert len(held.drain) == 2
    below, _ = run(spec, observe(ready=1, busy=1, idle=1, rates=rates), current=2)
    assert below.replicas == 2  # the floor keeps; it does not start pods


def test_eta_messages_due_within_the_lookahead_are_waiting() -> None:
    soon = observe(scheduled=20, busy=1, due_soon=((2.0, 15), (40.0, 5)))
    decision, _ = run(SPEC, soon, current=1)
    assert decision.replicas == 3 and decision.components["Backlog"] == 3
    later = observe(scheduled=20, busy=1, due_soon=((40.0, 20),))
    decision, _ = run(SPEC, later, current=1)
    assert decision.replicas == 1


def test_due_soon_merges_whole_seconds_and_drops_far_and_past_etas() -> None:
    got = due_soon([(0.2, 1), (0.9, 2.4), (3.5, 1), (61, 5), (-1, 7)])
    assert got == ((1.0, 3), (4.0, 1))


def test_never_fewer_replicas_than_busy_workers() -> None:
    decision, _ = run(SPEC, observe(busy=7, idle=3), current=10)
    assert decision.replicas >= 7


def test_step_limit_on_scale_up_is_max_of_pods_and_percent() -> None:
    """The step limit holds growth asked for by an estimate (here the oldest message's age)."""
    spec = replace(SPEC, max_replicas=100)
    decision, _ = run(spec, observe(ready=60, age=3000, busy=2), current=2)
    assert decision.replicas == 2 + spec.scale_up.pods and decision.reason == Reason.STEP_LIMITED


def test_a_burst_gets_its_backlog_driven_size_in_one_step() -> None:
    """Messages already waiting are counted, not estimated: no step limit below them."""
    decision, _ = run(replace(SPEC, max_replicas=100), observe(ready=500, busy=2), current=2)
    assert decision.replicas == 100 and decision.reason == Reason.BACKLOG


def test_a_growing_burst_is_projected_over_the_pod_start() -> None:
    """Backlog 60 -> 120 in 10 s on 2 replicas: by the time new pods serve (next poll 10 s +
    podStartSeconds 10 s) it is 240, which asks for 48 replicas rather than 24."""
    spec = replace(SPEC, max_replicas=100)
    _, history = run(spec, observe(ready=60, busy=2), current=2, now=0)
    growing, _ = run(spec, observe(ready=120, busy=2), current=2, history=history, now=10)
    assert growing.components["Backlog"] == 48
    steady, _ = run(spec, observe(ready=120, busy=2), current=2, now=10)
    assert steady.components["Backlog"] == 24


def test_a_backlog_the_pool_can_carry_is_not_projected() -> None:
    """Growth on a pool whose backlog does not ask for twice its size (retries coming due,
    noise) buys no pods ahead of time."""
    _, history = run(SPEC, observe(ready=10, busy=8), current=8, now=0)
    decision, _ = run(SPEC, observe(ready=60, busy=8), current=8, history=history, now=10)
    assert decision.components["Backlog"] == 12


def test_throughput_floor_keeps_no_idle_headroom() -> None:
    """2.9 replicas' worth of work keeps 2, and never more than busy + what is ready asks for."""
    rates = Rates(succeeded=1, arrival=1.45, service_seconds=2.0)
    decision, _ = run(SPEC, observe(busy=2, idle=1, rates=rates), current=3)
    assert decision.components["Throughput"] == 2
    rates = Rates(succeeded=0.1, arrival=10, service_seconds=2.0)
    capped, _ = run(SPEC, observe(busy=2, ready=4, idle=1, rates=rates), current=3)
    assert capped.components["Throughput"] == 3


def test_messages_busy_workers_reach_within_a_pod_start_ask_for_no_pod() -> None:
    """Long tasks hold the pool while short ones complete at 0.5/s: a pod started now
    serves in 10 s, when the busy workers have taken 5 messages, so 4 ready ask for none
    and 9 ready for one (the 4 beyond their reach)."""
    rates = Rates(succeeded=0.5, arrival=0.6, service_seconds=40.0)  # offered load 24
    history = History(throughput=20)
    reached, _ = run(SPEC, observe(ready=4, busy=10, rates=rates), current=10, history=history)
    assert reached.components["Throughput"] == 10 and reached.replicas == 10
    beyond, _ = run(SPEC, observe(ready=9, busy=10, rates=rates), current=10, history=history)
    assert beyond.components["Throughput"] == 11 and beyond.replicas == 11


def test_without_a_completion_rate_every_ready_message_counts() -> None:
    rates = Rates(arrival=0.6, service_seconds=40.0)  # nothing completed in the window
    history = History(throughput=20)
    decision, _ = run(SPEC, observe(ready=4, busy=10, rates=rates), current=10, history=history)
    assert decision.components["Throughput"] == 11


def test_latency_grows_by_what_the_messages_beyond_reach_ask_for() -> None:
    """A large pool of long tasks with a few messages over the target: proportional growth
    (20 x 45 / 30 = 30) would start pods the 12 messages cannot use; those beyond the busy
    workers' reach (12 - 0.2 x 10 = 10) ask for 2, and at least one is always added."""
    spec = replace(SPEC, max_replicas=40)
    rates = Rates(succeeded=0.2, arrival=0.3, service_seconds=60.0)
    decision, _ = run(spec, observe(ready=12, age=45, busy=20, rates=rates), current=20)
    assert decision.components["Latency"] == 22 and decision.reason == Reason.LATENCY
    few, _ = run(spec, observe(ready=2, age=45, busy=20, rates=rates), current=20)
    assert few.components["Latency"] == 21


def test_busy_workers_do_not_hold_idle_pods_through_the_window() -> None:
    """A peak of busy workers keeps them, but is not remembered by the scale-down window."""
    _, history = run(SPEC, observe(busy=10), current=10, now=0)
    decision, _ = run(SPEC, observe(busy=4, idle=6), current=10, history=history, now=10)
    assert decision.replicas == 4 and decision.drain == tuple(f"idle-{i}" for i in range(6))


def test_scale_down_waits_for_the_stabilisation_window() -> None:
    _, history = run(SPEC, observe(ready=50, busy=10), current=10, now=0)
    quiet = observe(idle=10, scheduled=3)  # retries held for an ETA: work is still coming
    window = SPEC.scale_down.stabilisation_seconds
    early, _ = run(SPEC, quiet, current=10, history=history, now=window - 1)
    assert early.replicas == 10 and early.reason == Reason.STABILISING
    late, _ = run(SPEC, quiet, current=10, history=history, now=window + 1)
    assert late.replicas < 10


def test_idle_workers_with_nothing_waiting_go_without_the_window() -> None:
    _, history = run(SPEC, observe(ready=50, busy=10), current=10, now=0)
    decision, _ = run(SPEC, observe(busy=3, idle=7), current=10, history=history, now=1)
    assert decision.replicas == 3
    assert decision.drain == tuple(f"idle-{i}" for i in range(7))


def test_one_ready_message_keeps_the_window() -> None:
    _, history = run(SPEC, observe(ready=50, busy=10), current=10, now=0)
    decision, _ = run(SPEC, observe(ready=1, busy=3, idle=7), current=10, history=history, now=1)
    assert decision.replicas == 10 and decision.reason == Reason.STABILISING


def test_failed_probe_holds_and_raises_probe_failing() -> None:
    decision, _ = run(SPEC, observe(error="ConnectionError"), current=6)
    assert decision.replicas == 6 and decision.reason == Reason.SIGNALS_MISSING
    assert [a.type for a in decision.alerts] == ["ProbeFailing"]
    assert decision.conditions["Fallback"]


def test_failed_probe_goes_up_to_fallback_never_down() -> None:
    spec = replace(SPEC, fallback_replicas=4)
    up, _ = run(spec, observe(error="timeout"), current=1)
    held, _ = run(spec, observe(error="timeout"), current=9)
    assert (up.replicas, up.reason) == (4, Reason.FALLBACK) and held.replicas == 9


def test_unknown_queue_is_not_read_as_idle() -> None:
    decision, _ = run(SPEC, observe(known=False), current=5)
    assert decision.replicas == 5 and decision.alerts[0].type == "ProbeFailing"


def test_scale_to_zero_only_after_a_whole_idle_cooldown() -> None:
    spec = replace(
        SPEC,
        cooldown_to_zero_seconds=120,
        scale_down=replace(SPEC.scale_down, stabilisation_seconds=0),
    )
    _, history = run(spec, observe(scheduled=1, idle=1), current=1, now=0)
    early, _ = run(spec, observe(idle=1), current=1, history=history, now=100)
    assert (early.replicas, early.reason) == (1, Reason.COOLDOWN)
    late, _ = run(spec, observe(idle=1), current=1, history=history, now=121)
    assert (late.replicas, late.reason) == (0, Reason.IDLE_TO_ZERO)


def test_eta_messages_alone_keep_one_replica() -> None:
    decision, _ = run(SPEC, observe(scheduled=3, idle=1), current=1)
    assert decision.replicas == 1


def test_retry_storm_alerts_and_holds_scale_up_when_configured() -> None:
    storm = Rates(succeeded=0.2, retried=5)
    spec = replace(SPEC, hold_scale_up_on_retry_storm=True)
    decision, _ = run(spec, observe(ready=100, busy=2, rates=storm), current=2)
    assert decision.replicas == 2 and decision.reason == Reason.RETRY_STORM_HOLD
    assert "RetryStorm" in [a.type for a in decision.alerts]
    assert decision.conditions["RetryStorm"]


def test_drain_marks_only_idle_workers_and_limits_scale_in_to_them() -> None:
    spec = replace(SPEC, scale_down=replace(SPEC.scale_down, stabilisation_seconds=0, percent=100))
    decision, _ = run(spec, observe(busy=3, idle=2), current=8)
    assert decision.drain == ("idle-0", "idle-1")
    assert decision.replicas == 6 and decision.reason == Reason.DRAIN_LIMITED


def test_pause_and_invalid_spec_leave_replicas_alone() -> None:
    paused, _ = run(replace(SPEC, paused=True), observe(ready=100), current=3)
    bad, _ = run(replace(SPEC, min_replicas=5, max_replicas=2), observe(ready=100), current=3)
    assert (paused.replicas, paused.reason) == (3, Reason.PAUSED)
    assert (bad.replicas, bad.reason) == (3, Reason.INVALID_SPEC)
    assert "maxReplicas 2 < minReplicas 5" in bad.message


def test_limit_and_congestion_alerts_at_max() -> None:
    spec = replace(SPEC, max_replicas=3)
    decision, _ = run(spec, observe(ready=100, age=200, busy=3), current=3)
    types = {a.type for a in decision.alerts}
    assert decision.replicas == 3 and {"ScaleLimitReached", "QueueCongestion"} <= types


def test_workers_missing_after_grace() -> None:
    _, history = run(SPEC, observe(ready=10), current=2, now=0)
    decision, _ = run(SPEC, observe(ready=10), current=2, history=history, now=200)
    assert "WorkersMissing" in [a.type for a in decision.alerts]


def test_history_survives_a_round_trip_through_status() -> None:
    rates = Rates(succeeded=2, arrival=2, service_seconds=2.0)
    _, history = run(SPEC, observe(ready=10, busy=1, rates=rates), current=1, now=5)
    assert history.throughput is not None
    assert History.from_dict(history.to_dict()) == history


def test_with_no_busy_worker_silent_pods_may_go() -> None:
    spec = replace(SPEC, scale_down=replace(SPEC.scale_down, stabilisation_seconds=0))
    decision, _ = run(spec, observe(ready=5), current=4)  # no heartbeats at all
    assert decision.replicas == 1 and decision.drain == ()


# The relay's count of new jobs per second (fresh arrivals): the current second so far, then
# the one before it.
QUIET = Rates(succeeded=0.25, arrival=0.25, service_seconds=5.0)  # 0.25 jobs/s of 5 s each


def first_poll_of(fresh: tuple[int, ...] | None, rates: Rates = QUIET) -> Decision:
    """A pool of 2 fed 0.25 jobs/s; ten seconds later 8 messages are ready."""
    spec = replace(SPEC, max_replicas=30)
    _, history = run(spec, observe(ready=1, busy=1, rates=rates), current=2, now=990)
    decision, _ = run(spec, observe(ready=8, busy=2, rates=rates, fresh=fresh), 2, history)
    return decision


def test_without_the_new_job_counter_the_policy_decides_as_before() -> None:
    """No counter (None) and a counter that saw nothing decide alike: 8 ready ask for 2."""
    assert first_poll_of(None).replicas == first_poll_of((0, 0)).replicas == 2


def test_a_burst_seen_only_by_the_new_job_counter_scales_up_at_its_first_poll() -> None:
    """8 new jobs in the last second (3 so far in this one), at 0.25 jobs/s before: a burst.
    It arrives on for the next poll and the pod start (8 + 8 x 20 = 168 messages, 34
    replicas) and its offered load is 8 x 5 s = 40 workers: the pool goes to its maximum in
    one step."""
    decision = first_poll_of((3, 8))
    assert decision.replicas == 30 and decision.reason == Reason.MAX_REPLICAS
    assert decision.components["Backlog"] == 40


def test_retries_come_due_without_new_jobs_are_no_burst() -> None:
    """The same 8 ready messages from a clump of retries (the counter sees a trickle of new
    jobs, retries are not in it) ask for what they asked for before."""
    storm = Rates(succeeded=0.5, retried=1.0, arrival=1.5, service_seconds=2.0)
    assert first_poll_of((1, 2), storm).replicas == first_poll_of(None, storm).replicas == 2


def test_a_busy_second_of_a_steady_stream_is_no_burst() -> None:
    """6 new jobs in a second where 4 a second arrive anyway: probable, so not a burst."""
    steady = Rates(succeeded=4.0, arrival=4.0, service_seconds=0.5)
    assert first_poll_of((2, 6), steady).replicas == first_poll_of(None, steady).replicas


def test_poisson_tail() -> None:
    assert poisson_tail(0, 2.0) == 1.0
    assert poisson_tail(1, 2.0) == pytest.approx(1 - math.exp(-2.0))
    assert poisson_tail(3, 0.25) == pytest.approx(1 - math.exp(-0.25) * (1 + 0.25 + 0.25**2 / 2))
