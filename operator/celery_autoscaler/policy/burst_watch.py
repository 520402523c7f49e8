"""The burst watch: between full polls, new-job counts alone say whether to poll now.

A full poll reads every queue's lists, `unacked` and the heartbeats; the watch reads only the
relay's new-job counters, every `burst_watch_seconds`, and asks the same burst test the
backlog term uses (`fresh_burst_rate`) with what the last full poll knew: its trailing
arrival rate and service time, the pool it asked for, and its waiting messages plus the new
jobs counted since (an upper bound: the full poll that follows counts them exactly). When the
test fires, the caller runs the ordinary full poll and decision at once, so a burst is met a
watch interval after it begins, whatever the phase of the poll.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from celery_autoscaler.policy.observation import Observation, busiest_second
from celery_autoscaler.policy.recommend import fresh_burst_rate
from celery_autoscaler.policy.spec import PoolSpec

# The watch reads every second (a poll reads two per interval), so a steady stream's rare busy
# second would reach it five times as often, each an extra poll and a burst-sized scale-up.
# It fires only far beyond the trailing rate; a burst the pool must meet at once is further
# still (8 new jobs in a second at 0.2/s before: p ~ 1e-10).
WATCH_IMPROBABILITY = 1e-6


def watch_fires(
    spec: PoolSpec,
    last: Observation | None,
    replicas: int,
    counts: Iterable[Sequence[int] | None],
    last_was_watched: bool = False,
) -> bool:
    """Whether the new-job counts `counts` (per queue, as the probe reads them) ask for a full
    poll now, given the last full poll `last` and the replicas it left the pool at.

    Quiet when: the watch is off (0 s); there was no complete full poll yet (the first one is
    due anyway); the last full poll was itself started by the watch (at most one extra poll
    per poll interval, so a burst that the pool absorbs does not poll every watch tick); or the
    last full poll already saw a burst at least this fast (its decision was sized for it).
    """
    if spec.burst_watch_seconds <= 0 or last is None or not last.complete or last_was_watched:
        return False
    fresh = busiest_second(counts)
    if fresh is None or fresh <= 0:
        return False
    rates = last.rates
    seen = last.fresh_arrivals_per_second
    waiting = last.ready + last.reserved
    before = fresh_burst_rate(spec, waiting, replicas, seen, rates.service_seconds, rates.arrival)
    if before >= fresh:
        return False
    # The new jobs of the seconds read may all still wait: count them, as the full poll will.
    rate = fresh_burst_rate(
        spec,
        waiting + round(fresh),
        replicas,
        fresh,
        rates.service_seconds,
        rates.arrival,
        WATCH_IMPROBABILITY,
    )
    return rate > 0


POLL, WATCH = "poll", "watch"


@dataclass
class PollClock:
    """When a pool's next full poll is due: its interval after the last one, or now, when the
    watch fires. The operator's timer and the simulator both ask it every tick, so they
    schedule alike; it holds no I/O: the caller hands it the counter read (`read_counts`),
    called only on a watch tick."""

    last_poll: float = -math.inf
    last_watch: float = -math.inf
    last: Observation | None = None
    replicas: int = 0  # what the last full poll left the pool at (asked for)
    watched: bool = False  # the last full poll was started by the watch

    def due(
        self,
        spec: PoolSpec,
        interval: float,
        now: float,
        read_counts: Callable[[], Iterable[Sequence[int] | None] | None],
        slack: float = 0.0,
    ) -> str | None:
        """POLL when the interval is up, WATCH when the watch fires, else None. `slack`: a
        timer that ticks every `burst_watch_seconds` fires a little early or late; a tick
        this close to the watch interval counts as on time."""
        if now - self.last_poll >= interval:
            return POLL
        every = spec.burst_watch_seconds
        if every <= 0 or spec.paused or now - self.last_watch < every - slack:
            return None
        self.last_watch = now
        counts = read_counts()
        if counts is None:  # the counter could not be read: the regular poll will tell
            return None
        return WATCH if watch_fires(spec, self.last, self.replicas, counts, self.watched) else None

    def polled(self, now: float, obs: Observation | None, replicas: int, why: str) -> None:
        """A full poll ran at `now` (`obs` None: it stopped before reading Redis)."""
        self.last_poll = self.last_watch = now
        self.last, self.replicas, self.watched = obs, replicas, why == WATCH
