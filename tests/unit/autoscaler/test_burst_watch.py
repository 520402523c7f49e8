"""The burst watch: between full polls, the new-job counters alone decide whether to poll now."""

from __future__ import annotations

import random
from dataclasses import replace

from celery_autoscaler.policy import POLL, WATCH, PollClock, PoolSpec, Rates, watch_fires
from celery_autoscaler.policy.burst_watch import WATCH_IMPROBABILITY
from celery_autoscaler.policy.recommend import FRESH_BURST_IMPROBABILITY, poisson_tail
from celery_autoscaler.simulator.ours import Ours
from celery_autoscaler.simulator.traces import Task
from celery_autoscaler.simulator.world import World
from unit.autoscaler.builders import observe

SPEC = PoolSpec(max_replicas=30)
QUIET = Rates(succeeded=0.25, arrival=0.25, service_seconds=5.0)
LAST = observe(ready=0, busy=1, rates=QUIET, fresh=(0, 1))  # a quiet pool of one, last poll


def test_a_burst_in_the_counter_fires() -> None:
    """8 new jobs in a second at 0.25 jobs/s before, a pool of 1: improbable, faster than it
    serves, more than it carries: poll now."""
    assert watch_fires(SPEC, LAST, 1, [(3, 8)])


def test_a_silent_or_steady_counter_does_not_fire() -> None:
    assert not watch_fires(SPEC, LAST, 1, [(0, 0)])
    assert not watch_fires(SPEC, LAST, 1, [(0, 1)])  # a busy second of a trickle: probable
    steady = observe(ready=2, busy=4, rates=Rates(succeeded=4.0, arrival=4.0, service_seconds=0.5))
    assert not watch_fires(SPEC, steady, 4, [(2, 6)])
    assert not watch_fires(SPEC, LAST, 1, [None])  # no counter kept for the queue: unknown


def test_off_at_zero_paused_or_before_the_first_poll() -> None:
    assert not watch_fires(replace(SPEC, burst_watch_seconds=0), LAST, 1, [(3, 8)])
    assert not watch_fires(SPEC, None, 1, [(3, 8)])
    assert not watch_fires(SPEC, observe(error="ConnectionError"), 1, [(3, 8)])


def test_at_most_one_extra_poll_per_interval_and_none_for_a_burst_already_seen() -> None:
    assert not watch_fires(SPEC, LAST, 1, [(3, 8)], last_was_watched=True)
    seen = observe(ready=10, busy=1, rates=QUIET, fresh=(4, 8))  # that poll saw it already
    assert not watch_fires(SPEC, seen, 30, [(3, 8)])


def test_the_clock_reads_the_counter_only_on_a_watch_tick_and_polls_when_it_fires() -> None:
    reads: list[float] = []
    counts = [(0, 0)]

    def read() -> list[tuple[int, int]]:
        reads.append(1.0)
        return counts

    clock = PollClock()
    assert clock.due(SPEC, 10, 0.0, read) == POLL and not reads  # the first poll: no watch read
    clock.polled(0.0, LAST, 1, POLL)
    assert clock.due(SPEC, 10, 1.0, read) is None and not reads  # before the watch interval
    assert clock.due(SPEC, 10, 2.0, read) is None and len(reads) == 1  # silent: no extra poll
    assert clock.due(SPEC, 10, 3.0, read) is None and len(reads) == 1
    counts[0] = (3, 8)
    assert clock.due(SPEC, 10, 4.0, read) == WATCH and len(reads) == 2
    clock.polled(4.0, LAST, 1, WATCH)
    # After a watched poll the watch waits for the regular one (10 s after it), then re-arms.
    assert clock.due(SPEC, 10, 6.0, read) is None
    assert clock.due(SPEC, 10, 14.0, read) == POLL
    clock.polled(14.0, LAST, 1, POLL)
    assert clock.due(SPEC, 10, 16.0, read) == WATCH


def test_the_clock_never_reads_when_the_watch_is_off() -> None:
    def read() -> list[tuple[int, int]]:
        raise AssertionError("the watch is off: nothing to read")

    off = replace(SPEC, burst_watch_seconds=0)
    clock = PollClock()
    clock.polled(0.0, LAST, 1, POLL)
    assert [clock.due(off, 10, float(t), read) for t in range(1, 10)] == [None] * 9
    assert clock.due(off, 10, 10.0, read) == POLL


def test_an_unreadable_counter_waits_for_the_regular_poll() -> None:
    clock = PollClock()
    clock.polled(0.0, LAST, 1, POLL)
    assert clock.due(SPEC, 10, 2.0, lambda: None) is None


def _burst_between_polls(watch: float) -> tuple[Ours, World]:
    """A pool of one at a trickle; 8 jobs a second from second 3, between the polls at 0 and
    10; the watch, when on, ticks every 2 s."""
    world = World(random.Random(3))
    ours = Ours(replace(SPEC, burst_watch_seconds=watch))
    rng = random.Random(5)
    for t in range(0, 8):
        arrivals = [t + 0.5] if t < 3 else [t + i / 8 for i in range(8)]
        for a in arrivals:
            world.arrive(Task(a, rng.uniform(4, 6)))
        ours.step(t, world)
        world.tick(1.0)
    return ours, world


def test_a_burst_between_polls_gets_the_full_decision_at_the_next_watch_tick() -> None:
    """The watch fires at the first tick inside the burst (second 4) and runs the ordinary
    decision, which sizes the pool for the burst; without the watch the pool waits for the
    poll at 10 with the one replica it had."""
    watched, world = _burst_between_polls(2.0)
    assert watched.watched_polls == 1 and watched.full_polls == 2
    assert watched.clock.last_poll == 4.0
    assert len(world.pods) > 2 * SPEC.backlog_per_replica  # the burst's backlog and more
    plain, plain_world = _burst_between_polls(0.0)
    assert plain.watched_polls == 0 and plain.full_polls == 1
    assert len(plain_world.pods) == 1


def test_a_busy_second_the_poll_would_call_a_burst_is_not_enough_for_the_watch() -> None:
    """8 new jobs in a second at 1.5/s before: p ~ 2e-4, a burst to the full poll's test
    (p < 1e-3) but not to the watch's, which reads every second and so would meet such a
    second five times as often as the polls do."""
    busy = Rates(succeeded=1.5, arrival=1.5, service_seconds=2.0)
    last = observe(ready=1, busy=2, rates=busy, fresh=(1, 2))
    assert WATCH_IMPROBABILITY < poisson_tail(8, 1.5) < FRESH_BURST_IMPROBABILITY
    assert not watch_fires(SPEC, last, 2, [(2, 8)])
    assert watch_fires(SPEC, last, 2, [(2, 16)])  # far beyond it: poll now
