"""The simulator's pieces: traces are seeded, the world counts what the report compares, and
the KEDA + HPA emulation behaves as documented."""

from __future__ import annotations

import random

from celery_autoscaler.policy import PoolSpec
from celery_autoscaler.simulator.keda import KedaHpa
from celery_autoscaler.simulator.ours import Ours
from celery_autoscaler.simulator.run import simulate
from celery_autoscaler.simulator.traces import TRACES, Task
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
