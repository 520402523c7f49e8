"""Apply one poll's alert conditions to the pool's QueueAlert objects; return the Events."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from celery_autoscaler.alerts.kubernetes_sink import QueueAlertSink
from celery_autoscaler.alerts.lifecycle import reconcile
from celery_autoscaler.policy.decision import AlertSignal


def publish(
    sink: QueueAlertSink,
    body: dict[str, Any],
    firing: Iterable[AlertSignal],
    now: float,
    retention: float,
) -> list[tuple[str, str, str]]:
    meta = body["metadata"]
    ns, name = meta["namespace"], meta["name"]
    owner = {
        "apiVersion": body["apiVersion"],
        "kind": body["kind"],
        "name": name,
        "uid": meta["uid"],
        "controller": True,
    }
    events = []
    for change in reconcile(name, sink.list(ns, name), list(firing), now, retention):
        sink.apply(ns, owner, change)
        if change.event:
            kind = "Warning" if change.event == "Fired" else "Normal"
            r = change.record
            where = f" on queue {r.queue}" if r.queue else ""
            events.append((kind, f"Alert{change.event}", f"{r.type}{where}: {r.message}"))
    return events
