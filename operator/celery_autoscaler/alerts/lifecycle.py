"""QueueAlert lifecycle as pure logic: one record per (pool, type, queue), updated in place.

An alert fires when its condition appears, stays firing (last seen moves) while it holds,
resolves when it is gone, fires again on the same object (count + 1) if it comes back, and is
removed once it has been resolved for longer than the retention.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace

from celery_autoscaler.policy.decision import AlertSignal

RUNBOOK_BASE = "docs/runbooks"


@dataclass(frozen=True, slots=True)
class AlertRecord:
    pool: str
    type: str
    queue: str
    severity: str
    state: str  # firing | resolved
    first_seen: float
    last_seen: float
    count: int  # times it has fired
    message: str
    resolved_at: float | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.pool, self.type, self.queue)

    @property
    def runbook(self) -> str:
        return f"{RUNBOOK_BASE}/{self.type}.md"


@dataclass(frozen=True, slots=True)
class Change:
    action: str  # create | update | delete
    record: AlertRecord
    event: str | None = None  # Fired | Resolved: the Kubernetes Event to emit


def object_name(pool: str, type_: str, queue: str) -> str:
    """A DNS-1123 name, stable for the key; a hash keeps it unique and short."""
    base = re.sub(r"[^a-z0-9-]+", "-", f"{pool}-{type_}-{queue or 'pool'}".lower()).strip("-")
    digest = hashlib.sha256(f"{pool}\0{type_}\0{queue}".encode()).hexdigest()[:8]
    return f"{base[:54].rstrip('-')}-{digest}"


def reconcile(
    pool: str,
    existing: list[AlertRecord],
    firing: list[AlertSignal],
    now: float,
    retention_seconds: float,
) -> list[Change]:
    known = {r.key: r for r in existing}
    now_firing = {(pool, s.type, s.queue): s for s in firing}
    changes: list[Change] = []
    for key, s in sorted(now_firing.items()):
        old = known.get(key)
        if old is None:
            new = AlertRecord(pool, s.type, s.queue, s.severity, "firing", now, now, 1, s.message)
            changes.append(Change("create", new, "Fired"))
        elif old.state == "resolved":
            new = replace(
                old,
                state="firing",
                last_seen=now,
                count=old.count + 1,
                message=s.message,
                severity=s.severity,
                resolved_at=None,
            )
            changes.append(Change("update", new, "Fired"))
        else:
            changes.append(Change("update", replace(old, last_seen=now, message=s.message)))
    for key, old in sorted(known.items()):
        if key in now_firing:
            continue
        if old.state == "firing":
            changes.append(
                Change("update", replace(old, state="resolved", resolved_at=now), "Resolved")
            )
        elif old.resolved_at is not None and now - old.resolved_at > retention_seconds:
            changes.append(Change("delete", old))
    return changes
