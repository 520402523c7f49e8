"""Per-second rates from the running counters workers publish, between two polls.

The counters only grow; a drop means a reset (Redis restarted or the key was flushed), so that
interval yields no rate instead of a negative one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from celery_autoscaler.policy.observation import Rates


@dataclass(frozen=True, slots=True)
class Counters:
    at: float
    succeeded: int = 0
    retried: int = 0
    failed: int = 0  # dead + rejected
    backlog: int = 0  # ready + reserved at that poll, for the arrival rate


def rates_between(before: Counters | None, after: Counters, busy_slots: int) -> Rates:
    if before is None or after.at <= before.at:
        return Rates()
    dt = after.at - before.at
    deltas = (
        after.succeeded - before.succeeded,
        after.retried - before.retried,
        after.failed - before.failed,
    )
    if min(deltas) < 0:
        return Rates()
    succeeded, retried, failed = (d / dt for d in deltas)
    completed = succeeded + retried + failed
    # Arrivals = what left the backlog plus how much it grew (Little's law needs both).
    arrival = max(0.0, completed + (after.backlog - before.backlog) / dt)
    service = busy_slots / completed if completed > 0 and busy_slots > 0 else None
    return Rates(succeeded, retried, failed, arrival, service)


@dataclass
class RateWindow:
    """Rates over the last `seconds` rather than one poll: a 10 s interval holds a handful of
    completions, and a throughput floor built on them would swing with every poll."""

    seconds: float = 60.0
    samples: list[tuple[Counters, int]] = field(default_factory=list)

    def push(self, counters: Counters, busy_slots: int) -> Rates:
        self.samples.append((counters, busy_slots))
        while len(self.samples) > 2 and counters.at - self.samples[1][0].at >= self.seconds:
            self.samples.pop(0)
        if len(self.samples) < 2:
            return Rates()
        if (
            min(
                b.succeeded - a.succeeded
                for (a, _), (b, _) in zip(self.samples, self.samples[1:], strict=False)
            )
            < 0
        ):
            self.samples = self.samples[-1:]  # a counter reset: start over
            return Rates()
        mean_busy = sum(b for _, b in self.samples) / len(self.samples)
        return rates_between(self.samples[0][0], counters, busy_slots=round(mean_busy))
