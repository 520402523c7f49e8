"""Drain-aware scale-in: choose which idle workers go before the replica count drops.

The Deployment controller deletes the pods with the lowest pod-deletion-cost first, so the
operator marks k idle pods (Celery hostname = pod name) and only then lowers replicas by k.
Never more than the idle workers it can name: a busy worker is not interrupted.
"""

from __future__ import annotations

from celery_autoscaler.policy.observation import Observation


def choose_drain(obs: Observation, current: int, target: int) -> tuple[int, tuple[str, ...]]:
    """Return the replicas the pool may go to now and the hostnames to mark."""
    if target >= current:
        return target, ()
    idle = sorted(obs.idle_workers)  # sorted: the same choice on every replica of the operator
    k = min(current - target, len(idle))
    return current - k, tuple(idle[:k])
