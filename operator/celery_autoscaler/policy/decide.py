"""One decision: components -> bounds -> windows -> step limits -> guards -> drain."""

from __future__ import annotations

from celery_autoscaler.policy.alert_rules import (
    congestion_alerts,
    limit_alerts,
    retry_storm,
    retry_storm_alerts,
    workers_missing_alerts,
)
from celery_autoscaler.policy.decision import AlertSignal, Decision, Reason
from celery_autoscaler.policy.drain import choose_drain
from celery_autoscaler.policy.history import History
from celery_autoscaler.policy.observation import Observation
from celery_autoscaler.policy.recommend import (
    components,
    offered_load_floor,
    strongest_demand,
    throughput_demand,
)
from celery_autoscaler.policy.spec import PoolSpec
from celery_autoscaler.policy.stabilise import idle_with_nothing_waiting, stabilise
from celery_autoscaler.policy.step_limits import limit_steps
from celery_autoscaler.policy.zero import may_reach_zero


def _clamp(spec: PoolSpec, n: int) -> int:
    return max(spec.min_replicas, min(spec.max_replicas, n))


def _hold(spec: PoolSpec, obs: Observation, current: int) -> Decision:
    """Signals failed or incomplete: never lower; go up to the fallback if one is set."""
    what = obs.error or "queues with no key, no binding and no worker: " + ", ".join(
        sorted(n for n, q in obs.queues.items() if not q.known)
    )
    alert = AlertSignal("ProbeFailing", "", "critical", f"cannot read queue signals: {what}")
    if spec.fallback_replicas is not None and spec.fallback_replicas > current:
        n, reason = _clamp(spec, spec.fallback_replicas), Reason.FALLBACK
    else:
        n, reason = _clamp(spec, current), Reason.SIGNALS_MISSING
    return Decision(n, reason, alerts=(alert,), conditions={"Fallback": True, "Ready": True})


def decide(
    spec: PoolSpec, obs: Observation, current: int, history: History, now: float
) -> tuple[Decision, History]:
    if problems := spec.problems():
        message = "; ".join(problems)
        return Decision(
            current, Reason.INVALID_SPEC, conditions={"Ready": False}, message=message
        ), history
    if spec.paused:
        return Decision(current, Reason.PAUSED, conditions={"Paused": True}), history
    if not obs.complete:
        return _hold(spec, obs, current), history
    parts = components(spec, obs, current, history.backlog, now, history.throughput)
    raw, reason = strongest_demand(parts)
    n = _clamp(spec, raw)
    if n != raw:
        reason = Reason.MAX_REPLICAS if raw > n else Reason.MIN_REPLICAS
    stable = n if idle_with_nothing_waiting(obs) else stabilise(spec, history, n, current, now)
    if stable != n:
        n, reason = stable, Reason.STABILISING
    busy = _clamp(spec, parts[Reason.BUSY_WORKERS])
    if n < busy:
        n, reason = busy, Reason.BUSY_WORKERS
    floor = _clamp(spec, offered_load_floor(spec, obs))
    if n < current and n < floor:
        n, reason = min(current, floor), Reason.OFFERED_LOAD
    limited = limit_steps(spec, history, n, current, now)
    # Messages already waiting are not a noisy estimate: the step limit never holds the pool
    # below what they ask for, so a burst gets its backlog-driven size in one step.
    limited = max(limited, min(n, _clamp(spec, parts[Reason.BACKLOG])))
    if limited != n:
        n, reason = limited, Reason.STEP_LIMITED
    storm = retry_storm(spec, obs)
    if storm and spec.hold_scale_up_on_retry_storm and n > current:
        n, reason = max(current, spec.min_replicas), Reason.RETRY_STORM_HOLD
    if n == 0 and current > 0:
        if may_reach_zero(spec, obs, history, now):
            reason = Reason.IDLE_TO_ZERO
        else:
            n, reason = 1, Reason.COOLDOWN
    drained, drain = choose_drain(obs, current, n)
    if drained != n:
        n, reason = drained, Reason.DRAIN_LIMITED
    n = _clamp(spec, n)  # a lowered maxReplicas wins over everything else
    alerts = [
        *retry_storm_alerts(spec, obs),
        *congestion_alerts(spec, obs, n),
        *limit_alerts(spec, raw),
        *workers_missing_alerts(obs, current, history, now),
    ]
    keep = max(
        spec.scale_down.stabilisation_seconds,
        spec.scale_up.stabilisation_seconds,
        spec.scale_up.period_seconds,
        spec.scale_down.period_seconds,
    )
    workers = bool(obs.busy_workers or obs.idle_workers)
    waiting = obs.ready + obs.reserved
    throughput, _ = throughput_demand(spec, obs, current)
    new_history = history.remember(
        now, _clamp(spec, raw), n, keep, obs.any_work, workers, waiting, throughput
    )
    conditions = {"Ready": True, "Active": n > 0, "Fallback": False, "RetryStorm": storm}
    decision = Decision(
        n, reason, drain, tuple(alerts), conditions, {str(k): v for k, v in parts.items()}
    )
    return decision, new_history
