"""HPA-like stabilisation: act on the most conservative recommendation inside each window.

Scaling up follows the smallest recommendation of the scale-up window (default 0 s: at once);
scaling down follows the largest of the scale-down window, so a dip in a noisy signal never
removes workers that the next poll would ask back.
"""

from __future__ import annotations

from celery_autoscaler.policy.history import History
from celery_autoscaler.policy.spec import PoolSpec


def stabilise(spec: PoolSpec, history: History, raw: int, current: int, now: float) -> int:
    def within(seconds: float) -> list[int]:
        return [n for t, n in history.recommendations if now - t <= seconds] + [raw]

    up = min(within(spec.scale_up.stabilisation_seconds))
    down = max(within(spec.scale_down.stabilisation_seconds))
    result = current
    if result < up:
        result = up
    if result > down:
        result = down
    return result
