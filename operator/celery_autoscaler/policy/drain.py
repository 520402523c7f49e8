"""Drain-aware scale-in: choose which idle workers go before the replica count drops.

The Deployment controller deletes the pods with the lowest pod-deletion-cost first, so the
operator marks k idle pods (Celery hostname = pod name) and only then lowers replicas by k.
Never more than the idle workers it can name while any worker is busy: a busy worker is not
interrupted. With no busy worker at all, pods that send no heartbeat (starting, broken, or
not Celery) may go too, or a pool whose workers never report could never shrink.
"""

from __future__ import annotations

from celery_autoscaler.policy.observation import Observation


def choose_drain(obs: Observation, current: int, target: int) -> tuple[int, tuple[str, ...]]:
    """Return the replicas the pool may go to now and the hostnames to mark."""
    if target >= current:
        return target, ()
    idle = sorted(obs.idle_workers)  # sorted: the same choice on every replica of the operator
    k = current - target if not obs.busy_workers else min(current - target, len(idle))
    return current - k, tuple(idle[:k])
