"""Step limits per period, counted from the replicas at the start of the period (as the HPA)."""

from __future__ import annotations

import math

from celery_autoscaler.policy.history import History
from celery_autoscaler.policy.spec import PoolSpec


def limit_steps(spec: PoolSpec, history: History, target: int, current: int, now: float) -> int:
    if target > current:
        b = spec.scale_up
        seen = [n for t, n in history.replicas if now - t < b.period_seconds] + [current]
        base = min(seen)
        ceiling = max(base + b.pods, math.ceil(base * (1 + b.percent / 100)))
        return min(target, max(ceiling, current))
    if target < current:
        b = spec.scale_down
        seen = [n for t, n in history.replicas if now - t < b.period_seconds] + [current]
        base = max(seen)
        floor = min(base - b.pods, math.floor(base * (1 - b.percent / 100)))
        return max(target, min(floor, current))
    return target
