"""Per-second rates from the running counters workers publish, between two polls.

The counters only grow; a drop means a reset (Redis restarted or the key was flushed), so that
interval yields no rate instead of a negative one.
"""

from __future__ import annotations

from dataclasses import dataclass

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
