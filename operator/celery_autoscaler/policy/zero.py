"""Scale to zero only after a whole cooldown with no ready, reserved, ETA or running work.

KEDA's cooldown takes N replicas straight to zero and can do so with work in flight; here the
last replica goes only when every kind of work has been absent for the entire cooldown.
"""

from __future__ import annotations

from celery_autoscaler.policy.history import History
from celery_autoscaler.policy.observation import Observation
from celery_autoscaler.policy.spec import PoolSpec


def may_reach_zero(spec: PoolSpec, obs: Observation, history: History, now: float) -> bool:
    if obs.any_work:
        return False
    if history.last_work_at is None:
        return True  # never saw work since the operator started watching: already idle
    return now - history.last_work_at >= spec.cooldown_to_zero_seconds
