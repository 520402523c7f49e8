"""Alert conditions the policy can see from signals alone (no Kubernetes state needed)."""

from __future__ import annotations

from celery_autoscaler.policy.decision import AlertSignal
from celery_autoscaler.policy.history import History
from celery_autoscaler.policy.observation import Observation
from celery_autoscaler.policy.spec import PoolSpec

WORKERS_MISSING_GRACE_SECONDS = 120.0
CONGESTION_FACTOR = 4.0  # oldest message this many times the target: congested even below max


def retry_storm(spec: PoolSpec, obs: Observation) -> bool:
    r = obs.rates
    return r.retried >= spec.retry_storm_min_rate and r.retried >= spec.retry_storm_ratio * max(
        r.succeeded, 1e-9
    )


def retry_storm_alerts(spec: PoolSpec, obs: Observation) -> list[AlertSignal]:
    if not retry_storm(spec, obs):
        return []
    r = obs.rates
    return [
        AlertSignal(
            "RetryStorm",
            "",
            "warning",
            f"{r.retried:.1f} retries/s against {r.succeeded:.1f} successes/s; "
            f"{obs.scheduled} messages wait for a retry countdown. Check the dependency the "
            "failing tasks call before adding workers.",
        )
    ]


def congestion_alerts(spec: PoolSpec, obs: Observation, replicas: int) -> list[AlertSignal]:
    found = []
    for name, q in sorted(obs.queues.items()):
        age = q.oldest_ready_age
        if age is None or age <= spec.max_wait_seconds:
            continue
        if replicas >= spec.max_replicas or age > CONGESTION_FACTOR * spec.max_wait_seconds:
            found.append(
                AlertSignal(
                    "QueueCongestion",
                    name,
                    "warning",
                    f"oldest ready message waited {age:.0f}s (target {spec.max_wait_seconds:.0f}s)"
                    f" with {q.ready} ready at {replicas}/{spec.max_replicas} replicas.",
                )
            )
    return found


def limit_alerts(spec: PoolSpec, raw: int) -> list[AlertSignal]:
    if raw <= spec.max_replicas:
        return []
    return [
        AlertSignal(
            "ScaleLimitReached",
            "",
            "warning",
            f"signals ask for {raw} replicas, maxReplicas is {spec.max_replicas}.",
        )
    ]


def workers_missing_alerts(
    obs: Observation, current: int, history: History, now: float
) -> list[AlertSignal]:
    if current == 0 or obs.busy_workers or obs.idle_workers:
        return []
    seen = history.workers_seen_at
    if seen is not None and now - seen < WORKERS_MISSING_GRACE_SECONDS:
        return []
    if (
        seen is None
        and history.replicas
        and now - history.replicas[0][0] < WORKERS_MISSING_GRACE_SECONDS
    ):
        return []
    return [
        AlertSignal(
            "WorkersMissing",
            "",
            "critical",
            f"{current} replicas wanted but no worker heartbeat for this pool's queues.",
        )
    ]
