"""One WorkerPool reconcile: spec -> checks -> poll -> decide -> act -> alerts -> status.

kopf-free: handlers.py calls it and applies what it returns (status patch and Events), so
each step is visible here in order, and a bad spec or a missing Deployment becomes a
condition and an Event, never an exception that kopf would retry in a loop.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from celery_autoscaler import crd, metrics, status
from celery_autoscaler.actuators.kubernetes import KubernetesActuator
from celery_autoscaler.alerts.kubernetes_sink import QueueAlertSink
from celery_autoscaler.alerts.publish import publish
from celery_autoscaler.policy import AlertSignal, Decision, Observation, decide
from celery_autoscaler.signals.probe import RedisProbe


@dataclass
class Outcome:
    status: dict[str, Any] = field(default_factory=dict)
    events: list[tuple[str, str, str]] = field(default_factory=list)  # type, reason, message
    # What the poll saw and the replicas it asked for (None, 0: it stopped before reading
    # Redis); the burst watch compares the new-job counters with them until the next poll.
    observation: Observation | None = None
    replicas: int = 0


def _stop(body: dict[str, Any], kind: str, reason: str, message: str, now: float) -> Outcome:
    """Do nothing to the Deployment; say why in a condition, and once in an Event."""
    old = (body.get("status") or {}).get("conditions") or []
    conds = status.conditions(old, {kind: (kind != "Ready", reason, message)}, now)
    if kind != "Ready":
        conds = status.conditions(conds, {"Ready": (False, reason, message)}, now)
    seen = any(c.get("reason") == reason and c.get("message") == message for c in old)
    return Outcome(
        {"conditions": conds, "observedGeneration": body["metadata"].get("generation")},
        [] if seen else [("Warning", reason, message)],
    )


def config_error(body: dict[str, Any], message: str, now: float | None = None) -> Outcome:
    """The Redis section or its Secret cannot be used: a condition, not a crash loop."""
    return _stop(body, "Ready", "RedisConfig", message, time.time() if now is None else now)


@dataclass
class Reconciler:
    actuator: KubernetesActuator
    alerts: QueueAlertSink

    def run(self, body: dict[str, Any], probe: RedisProbe, now: float | None = None) -> Outcome:
        now = time.time() if now is None else now
        meta, spec = body["metadata"], body["spec"]
        ns, name = meta["namespace"], meta["name"]
        pool = crd.pool_spec(spec, meta.get("annotations"))
        if problems := pool.problems():
            return _stop(body, "Ready", "InvalidSpec", "; ".join(problems), now)
        deployment = spec["deployment"]
        current = self.actuator.current_replicas(ns, deployment)
        if current is None:
            return _stop(body, "Ready", "DeploymentNotFound", f"no Deployment {deployment}", now)
        if others := self.actuator.conflicting_scalers(ns, deployment):
            message = f"{', '.join(others)} already scales {deployment}; not acting"
            return _stop(body, "ScalerConflict", "ScalerConflict", message, now)
        started = time.perf_counter()
        obs = probe.poll(now)
        metrics.PROBE_SECONDS.observe(time.perf_counter() - started)
        if obs.error is not None:
            metrics.PROBE_ERRORS.labels(ns, name).inc()
        old_status = body.get("status") or {}
        decision, history = decide(
            pool, obs, current, status.history(old_status.get("history")), now
        )
        selector = self.actuator.selector(ns, deployment)
        self._act(ns, selector, deployment, current, decision)
        crashing = self.actuator.crash_looping(ns, selector)
        if crashing:
            message = f"{len(crashing)} worker pods in CrashLoopBackOff, e.g. {crashing[0]}"
            alert = AlertSignal("WorkerCrashLoop", "", "critical", message)
            decision = replace(decision, alerts=(*decision.alerts, alert))
        retention = crd.alert_retention(spec)
        events = publish(self.alerts, body, decision.alerts, now, retention)
        signals = status.signals(obs, now)
        metrics.record_signals(ns, name, signals)
        metrics.REPLICAS.labels(ns, name, "current").set(current)
        metrics.REPLICAS.labels(ns, name, "desired").set(decision.replicas)
        metrics.DECISIONS.labels(ns, name, str(decision.reason)).inc()
        wanted = {
            k: (v, str(decision.reason), decision.message) for k, v in decision.conditions.items()
        }
        wanted.setdefault("Fallback", (False, str(decision.reason), ""))
        wanted["Paused"] = (pool.paused, str(decision.reason), "")
        wanted["ScalerConflict"] = (False, "NoConflict", "")
        return Outcome(
            {
                "currentReplicas": current,
                "desiredReplicas": decision.replicas,
                "lastSignals": signals,
                "lastDecision": status.decision(decision, now),
                "conditions": status.conditions(old_status.get("conditions") or [], wanted, now),
                "observedGeneration": meta.get("generation"),
                "history": history.to_dict(),
            },
            events,
            obs,
            decision.replicas,
        )

    def _act(
        self, ns: str, selector: str, deployment: str, current: int, decision: Decision
    ) -> None:
        marked = self.actuator.mark_for_removal(ns, decision.drain) if decision.drain else []
        if decision.replicas != current:
            self.actuator.scale(ns, deployment, decision.replicas)
        self.actuator.clear_marks(ns, selector, keep=marked)
