"""The simulator's pieces: traces are seeded, the world counts what the report compares, and
the KEDA + HPA emulation behaves as documented."""

from __future__ import annotations

import random

from celery_autoscaler.policy import PoolSpec
from celery_autoscaler.simulator.keda import KedaHpa
from celery_autoscaler.simulator.ours import Ours
from celery_autoscaler.simulator.run import simulate
from celery_autoscaler.simulator.traces import TRACES, Task, Trace
from celery_autoscaler.simulator.world import POD_START_SECONDS, World


def started_world(pods: int) -> World:
    world = World(random.Random(1))
    world.scale(pods)
    world.tick(POD_START_SECONDS)
    return world


def test_traces_are_deterministic_per_seed() -> None:
    for make in TRACES.values():
        a, b, c = make(3), make(3), make(4)
        assert [t.arrival for t in a.tasks] == [t.arrival for t in b.tasks]
        assert [t.arrival for t in a.tasks] != [t.arrival for t in c.tasks]


def test_drained_pods_go_first_and_random_removal_interrupts_busy_ones() -> None:
    world = started_world(4)
    world.arrive(Task(arrival=world.now, duration=100))
    world.arrive(Task(arrival=world.now, duration=100))
    world.tick(1)
    busy, idle = world.busy_idle()
    assert len(busy) == 2 and len(idle) == 2
    world.scale(2, drain=idle)
    assert world.interrupted == 0 and set(world.pods) == set(busy)
    world.scale(0)
    assert world.interrupted == 2 and len(world.ready) == 2


def test_failures_wait_as_eta_then_run_again() -> None:
    world = started_world(1)
    world.arrive(Task(arrival=world.now, duration=1, failures=1, countdown=30))
    for _ in range(3):
        world.tick(1)
    assert world.retried == 1 and len(world.eta) == 1 and not world.ready
    for _ in range(31):
        world.tick(1)
    assert world.succeeded == 1 and len(world.waits) == 2


def test_keda_reads_only_the_plain_list_and_drops_to_zero_in_one_step() -> None:
    world = started_world(6)
    for priority in (3, 6, 9):
        world.arrive(Task(arrival=world.now, duration=1000, priority=priority))
    world.tick(1)
    assert world.plain_list_length() == 0
    keda = KedaHpa(max_replicas=10, cooldown=300)
    for t in range(0, 301):
        keda.step(t, world)
    assert len(world.pods) == 0 and world.interrupted == 3


def test_our_policy_never_interrupts_a_busy_worker_on_a_trace() -> None:
    trace = TRACES["long_tasks"](5)
    result = simulate(trace, Ours(PoolSpec(max_replicas=20)), "ours", seed=5)
    assert result.interrupted == 0 and result.waits and result.worker_seconds > 0


class Fixed:
    """A scaler that holds the pool at one size: the run's end depends only on the work."""

    def __init__(self, replicas: int, until: int) -> None:
        self.replicas, self.until = replicas, until

    def step(self, t: int, world: World) -> None:
        world.scale(self.replicas if t < self.until else 0)


def test_the_run_goes_on_after_the_trace_until_its_retries_are_served_and_the_pool_is_at_min() -> (
    None
):
    # Arrives in the trace's last seconds, fails once, and its retry comes due after the trace.
    task = Task(arrival=90, duration=20, failures=1, countdown=200)
    trace = Trace("late", 100, [task])
    result = simulate(trace, Fixed(replicas=1, until=400), "fixed", seed=1)
    assert len(result.waits) == 1 and len(result.done_waits) == 2
    assert result.worker_seconds == 100 and result.done_worker_seconds == 400
    # The pool went to zero at second 400, so the run is 401 simulated seconds long.
    assert result.done_at == 401 and not result.capped and result.unfinished == 0
    assert [s[0] for s in result.tail] == list(range(100, 401))


def test_keda_is_counted_until_its_cooldown_takes_the_pool_to_zero() -> None:
    trace = Trace("late", 100, [Task(arrival=50, duration=100)])
    result = simulate(trace, KedaHpa(max_replicas=5), "keda+hpa", seed=1)
    # Activated by the poll at 60 s, served in the trace, finished after it (at 170 s). The
    # cooldown counts from the last poll that saw the list non-empty: 60 + 300 = 360 s.
    assert len(result.waits) == 1 and result.done_interrupted == 0
    assert result.worker_seconds == 40 and result.done_worker_seconds == 300
    assert result.done_at == 361 and not result.capped


def test_a_pool_that_never_comes_back_to_min_stops_at_the_cap_and_says_so() -> None:
    trace = Trace("short", 10, [Task(arrival=1, duration=5)])
    never_down = simulate(trace, Fixed(replicas=1, until=10**9), "up", seed=1, cap=50)
    assert never_down.capped and never_down.done_at == 60 and never_down.unfinished == 0
    never_up = simulate(trace, Fixed(replicas=0, until=0), "down", seed=1, cap=50)
    assert never_up.capped and never_up.unfinished == 1
    assert never_up.done_waits == [59.0]  # the wait it has had by the cap


def test_hour_only_figures_are_unchanged_by_the_run_after_the_trace() -> None:
    trace = TRACES["retry_storm"](2)
    result = simulate(trace, KedaHpa(max_replicas=10), "keda+hpa", seed=2)
    assert len(result.series) == trace.seconds
    assert result.worker_seconds == sum(s[1] for s in result.series)
    assert result.done_worker_seconds == result.worker_seconds + sum(s[1] for s in result.tail)
    assert result.done_waits[: len(result.waits)] == result.waits
