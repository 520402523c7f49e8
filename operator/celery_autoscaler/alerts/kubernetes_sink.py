"""QueueAlert objects in the API: list a pool's alerts, apply lifecycle changes in place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubernetes.client.exceptions import ApiException

from celery_autoscaler.alerts.lifecycle import AlertRecord, Change, object_name
from celery_autoscaler.policy.decision import ALERT_TYPES
from celery_autoscaler.timefmt import iso

GROUP, VERSION, PLURAL = "autoscaling.jobplatform.dev", "v1alpha1", "queuealerts"
POOL_LABEL = "autoscaling.jobplatform.dev/pool"


def _ts(text: str | None) -> float | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() if text else None


def _iso(ts: float | None) -> str | None:
    return iso(ts) if ts is not None else None


def record(obj: dict[str, Any]) -> AlertRecord:
    spec, status = obj["spec"], obj.get("status") or {}
    return AlertRecord(
        pool=spec["pool"],
        type=spec["type"],
        queue=spec.get("queue", ""),
        severity=spec["severity"],
        state=status.get("state", "firing"),
        first_seen=_ts(status.get("firstSeen")) or 0.0,
        last_seen=_ts(status.get("lastSeen")) or 0.0,
        count=int(status.get("count", 1)),
        message=status.get("message", ""),
        resolved_at=_ts(status.get("resolvedAt")),
    )


@dataclass
class QueueAlertSink:
    custom: Any  # client.CustomObjectsApi; its list calls are typed as returning object

    def list(self, namespace: str, pool: str) -> list[AlertRecord]:
        found = self.custom.list_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, label_selector=f"{POOL_LABEL}={pool}"
        )
        return [record(o) for o in found["items"] if o["spec"]["type"] in ALERT_TYPES]

    def apply(self, namespace: str, owner: dict[str, Any], change: Change) -> None:
        r = change.record
        name = object_name(r.pool, r.type, r.queue)
        if change.action == "delete":
            try:
                self.custom.delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)
            except ApiException as exc:
                if exc.status != 404:
                    raise
            return
        if change.action == "create":
            body = {
                "apiVersion": f"{GROUP}/{VERSION}",
                "kind": "QueueAlert",
                "metadata": {
                    "name": name,
                    "labels": {POOL_LABEL: r.pool},
                    "ownerReferences": [owner],
                },
                "spec": {
                    "type": r.type,
                    "severity": r.severity,
                    "pool": r.pool,
                    "queue": r.queue,
                    "runbook": r.runbook,
                },
            }
            try:
                self.custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, body)
            except ApiException as exc:
                if exc.status != 409:  # created by a previous attempt: update its status below
                    raise
        status = {
            "state": r.state,
            "firstSeen": _iso(r.first_seen),
            "lastSeen": _iso(r.last_seen),
            "resolvedAt": _iso(r.resolved_at),
            "count": r.count,
            "message": r.message[:1024],
        }
        self.custom.patch_namespaced_custom_object_status(
            GROUP, VERSION, namespace, PLURAL, name, {"status": status}
        )
