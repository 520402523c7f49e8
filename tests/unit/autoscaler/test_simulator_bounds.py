"""The burst report's reference pools: a pool held warm at maxReplicas waits no longer than
any scaler under that cap, and the pool that asks for maxReplicas at the first wait does so
within the second and never removes a busy worker."""

from __future__ import annotations

import random

from celery_autoscaler.policy import PoolSpec
from celery_autoscaler.simulator.bounds import AsksMaxAtFirstWait, HeldAtMax, OursToMaxAtBurstStart
from celery_autoscaler.simulator.keda import KedaHpa
from celery_autoscaler.simulator.ours import Ours
from celery_autoscaler.simulator.run import simulate
from celery_autoscaler.simulator.traces import BURSTS, Task, burst
from celery_autoscaler.simulator.world import World

CAP = 30
SEED = 7


def test_the_held_pool_is_at_max_and_warm_from_the_first_second() -> None:
    world = World(random.Random(1))
    HeldAtMax(CAP).step(0, world)
    busy, idle = world.busy_idle()
    assert len(world.pods) == CAP
    assert len(idle) == CAP and not busy


def test_no_scaler_under_the_cap_waits_less_than_the_held_pool_on_the_burst() -> None:
    held = simulate(burst(SEED), HeldAtMax(CAP), "held", SEED, min_replicas=CAP)
    others = [
        simulate(burst(SEED), Ours(PoolSpec(max_replicas=CAP)), "ours", SEED),
        simulate(burst(SEED), KedaHpa(max_replicas=CAP), "keda", SEED),
        simulate(burst(SEED), AsksMaxAtFirstWait(CAP), "asks", SEED),
    ]
    assert held.done_interrupted == 0
    for other in others:
        assert held.p95_done_wait <= other.p95_done_wait, other.name
        assert max(held.done_waits) <= max(other.done_waits), other.name


def test_asks_for_max_in_the_second_a_message_waits_with_no_idle_worker() -> None:
    world = World(random.Random(1))
    scaler = AsksMaxAtFirstWait(CAP)
    world.arrive(Task(0.0, 5.0))
    scaler.step(0, world)
    assert len(world.pods) == CAP


def test_asks_for_max_never_removes_a_busy_worker() -> None:
    run = simulate(burst(SEED), AsksMaxAtFirstWait(CAP), "asks", SEED)
    assert run.done_interrupted == 0
    assert not run.capped
    lo, hi = BURSTS[0]
    assert max(pods for t, pods, _, _ in run.series if lo <= t < hi) == CAP


def test_ours_told_of_a_burst_asks_for_max_only_at_a_poll_inside_it() -> None:
    world = World(random.Random(1))
    told = OursToMaxAtBurstStart(Ours(PoolSpec(max_replicas=CAP)), ((20, 30),), CAP)
    world.arrive(Task(0.0, 5.0))
    told.step(0, world)  # a poll outside the burst: our policy alone
    assert 0 < len(world.pods) < CAP
    world.tick(1.0)
    world.arrive(Task(20.0, 5.0))
    world.arrive(Task(20.0, 5.0))
    told.step(5, world)  # inside no burst and not a poll (the next is at 10)
    assert len(world.pods) < CAP
    told.step(20, world)
    assert len(world.pods) == CAP
