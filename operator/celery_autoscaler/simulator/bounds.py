"""Reference pools for the burst under a cap: not scalers to run, yardsticks for ours.

- HeldAtMax: maxReplicas pods, every one warm from the first second, never removed. Waits
  are first come, first served, so no pool capped there serves any message sooner: its p95
  wait is a lower bound for every scaler under that cap (its worker-seconds are the price
  of never scaling).
- AsksMaxAtFirstWait: looks every second and asks for maxReplicas the moment a message
  waits with no idle or starting worker; pods start cold. What is left of ours once the
  poll interval and the policy's caution are gone: only the pod start.
- OursToMaxAtBurstStart: ours, told when the bursts are, at its own poll interval.
"""

from __future__ import annotations

from dataclasses import dataclass

from celery_autoscaler.simulator.ours import Ours
from celery_autoscaler.simulator.world import World


@dataclass
class HeldAtMax:
    replicas: int

    def step(self, t: int, world: World) -> None:
        if t == 0:
            world.scale(self.replicas)
            for pod in world.pods.values():
                pod.ready_at = 0.0  # warm: started before the trace


@dataclass
class AsksMaxAtFirstWait:
    replicas: int

    def step(self, t: int, world: World) -> None:
        busy, idle = world.busy_idle()
        starting = len(world.pods) - len(busy) - len(idle)
        if world.ready and not idle and not starting and len(world.pods) < self.replicas:
            world.scale(self.replicas)
        elif not world.ready and idle:
            world.scale(len(world.pods) - len(idle), idle)  # only idle ones go


@dataclass
class OursToMaxAtBurstStart:
    """Our policy, except that the first poll inside a known burst asks for maxReplicas.

    An oracle (it is told when the bursts are): what ours would reach if it recognised a
    burst at the first poll that sees any of it, with the same poll interval and pod start.
    """

    ours: Ours
    bursts: tuple[tuple[int, int], ...]
    replicas: int

    def step(self, t: int, world: World) -> None:
        before = self.ours.full_polls
        self.ours.step(t, world)
        polled = self.ours.full_polls > before  # on its cadence or started by the watch
        inside = any(lo <= t < hi for lo, hi in self.bursts)
        if polled and inside and world.ready and len(world.pods) < self.replicas:
            world.scale(self.replicas)  # after ours: what this poll asks for
