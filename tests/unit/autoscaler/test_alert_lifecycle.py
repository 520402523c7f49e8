"""One QueueAlert per (pool, type, queue): fire, update in place, resolve, refire, expire."""

from celery_autoscaler.alerts.lifecycle import AlertRecord, object_name, reconcile
from celery_autoscaler.policy import AlertSignal

STORM = AlertSignal("RetryStorm", "", "warning", "retries")


def apply(records: list[AlertRecord], changes: list) -> list[AlertRecord]:  # type: ignore[type-arg]
    by_key = {r.key: r for r in records}
    for c in changes:
        if c.action == "delete":
            by_key.pop(c.record.key)
        else:
            by_key[c.record.key] = c.record
    return list(by_key.values())


def test_full_lifecycle_keeps_one_object() -> None:
    records: list[AlertRecord] = []
    events = []
    for now, firing in [
        (0, [STORM]),
        (15, [STORM]),
        (30, []),
        (45, [STORM]),
        (60, []),
        (100, []),
        (200, []),
    ]:
        changes = reconcile("pool-a", records, firing, now, retention_seconds=100)
        events += [(now, c.event) for c in changes if c.event]
        records = apply(records, changes)
        if now == 15:
            assert len(records) == 1 and records[0].last_seen == 15 and records[0].count == 1
        if now == 45:
            assert records[0].state == "firing" and records[0].count == 2
            assert records[0].first_seen == 0 and records[0].resolved_at is None
        if now == 100:
            assert records[0].state == "resolved" and records[0].resolved_at == 60
    assert events == [(0, "Fired"), (30, "Resolved"), (45, "Fired"), (60, "Resolved")]
    assert records == []  # resolved at 60, retention 100: gone at 200


def test_queues_are_separate_alerts_and_names_are_dns_safe() -> None:
    a = AlertSignal("QueueCongestion", "default", "warning", "")
    b = AlertSignal("QueueCongestion", "Heavy_Queue", "warning", "")
    changes = reconcile("p", [], [a, b], 0, 60)
    names = {object_name(c.record.pool, c.record.type, c.record.queue) for c in changes}
    assert len(names) == 2
    assert all(len(n) <= 63 and n == n.lower() and "_" not in n for n in names)
    assert changes[0].record.runbook == "docs/runbooks/QueueCongestion.md"
