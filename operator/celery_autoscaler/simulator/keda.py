"""KEDA's Redis list scaler driving an HPA, with their default settings (FACTS.md).

KEDA polls `LLEN <queue>` (the plain key only) every 30 s, activates 0 -> 1 when it is above
zero and deactivates to 0 after `cooldownPeriod` without activity. The HPA syncs every 15 s and
reads the metric then: KEDA's metrics server asks the scaler on each HPA request (metric
caching, `useCachedMetrics`, is off by default; `pollingInterval` paces only activation).
desired = ceil(metric / listLength) outside a 10 % tolerance, scale-down follows the largest
recommendation of the last 300 s, scale-up is limited to max(100 %, 4 pods) per 15 s, and the
ReplicaSet picks the pods that go.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from celery_autoscaler.simulator.world import World


@dataclass
class KedaHpa:
    max_replicas: int
    list_length: int = 5
    polling: int = 30
    cooldown: int = 300
    hpa_sync: int = 15
    tolerance: float = 0.1
    down_window: int = 300
    metric: int = 0
    last_active: float = -1e9
    recommendations: list[tuple[float, int]] = field(default_factory=list)

    def step(self, t: int, world: World) -> None:
        current = len(world.pods)
        if t % self.polling == 0:
            self.metric = world.plain_list_length()
            if self.metric > 0:
                self.last_active = t
                if current == 0:
                    world.scale(1)
                    return
            elif current > 0 and t - self.last_active >= self.cooldown:
                world.scale(0)  # N -> 0 in one step, busy or not
                return
        if t % self.hpa_sync or current == 0:
            return
        self.metric = world.plain_list_length()
        ratio = self.metric / (current * self.list_length)
        raw = (
            current
            if abs(ratio - 1) <= self.tolerance
            else math.ceil(self.metric / self.list_length)
        )
        raw = max(1, min(self.max_replicas, raw))
        self.recommendations = [(s, r) for s, r in self.recommendations if t - s < self.down_window]
        self.recommendations.append((t, raw))
        desired = raw if raw >= current else max(r for _, r in self.recommendations)
        desired = min(desired, max(2 * current, current + 4))
        if desired != current:
            world.scale(desired)
