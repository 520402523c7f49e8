"""The WorkerPool status the operator writes: signals, decision, conditions, history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from celery_autoscaler.policy import Decision, History, Observation
from celery_autoscaler.timefmt import iso


def conditions(
    old: Sequence[Mapping[str, Any]], wanted: Mapping[str, tuple[bool, str, str]], now: float
) -> list[dict[str, Any]]:
    """Merge by type; lastTransitionTime moves only when the status flips."""
    by_type = {c["type"]: dict(c) for c in old}
    for kind, (value, reason, message) in wanted.items():
        status = "True" if value else "False"
        before = by_type.get(kind, {})
        moved = before.get("status") != status
        by_type[kind] = {
            "type": kind,
            "status": status,
            "reason": reason,
            "message": message,
            "lastTransitionTime": iso(now) if moved else before.get("lastTransitionTime", iso(now)),
        }
    return sorted(by_type.values(), key=lambda c: str(c["type"]))


def signals(obs: Observation, now: float) -> dict[str, Any]:
    if obs.error is not None:
        return {"time": iso(now)}
    age = obs.oldest_ready_age
    fresh = obs.fresh_arrivals_per_second
    # Absent when no queue of the pool has the relay's counter: unknown is not zero.
    known = {} if fresh is None else {"freshArrivals": fresh}
    return {
        **known,
        "ready": obs.ready,
        "reserved": obs.reserved,
        "scheduled": obs.scheduled,
        "retrying": sum(q.retrying for q in obs.queues.values()),
        "oldestReadyAgeSeconds": round(age, 1) if age is not None else 0.0,
        "busyWorkers": len(obs.busy_workers),
        "idleWorkers": len(obs.idle_workers),
        "successRate": round(obs.rates.succeeded, 3),
        "retryRate": round(obs.rates.retried, 3),
        "failureRate": round(obs.rates.failed, 3),
        "time": iso(now),
    }


def decision(d: Decision, now: float) -> dict[str, Any]:
    return {
        "replicas": d.replicas,
        "reason": str(d.reason),
        "message": d.message,
        "time": iso(now),
        "components": d.components,
    }


def history(raw: Mapping[str, Any] | None) -> History:
    return History.from_dict(dict(raw) if raw else None)
