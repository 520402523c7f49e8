"""Daily audit counts on the real workers and Postgres: aggregation counts exactly each
tenant's events per day and action, and recounting gives the same rows; compaction deletes
only the raw events of days past the audit retention, once their counts are sealed, and the
counts stay as they were (the suite deletes 3 rows per transaction, so in several batches)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import psycopg

from jobplatform.application.audit import AuditEvent
from jobplatform.domain.job_types.audit_aggregate import AUDIT_AGGREGATE
from jobplatform.domain.job_types.audit_compact import AUDIT_COMPACT
from jobplatform.infrastructure.container import Container
from jobplatform.infrastructure.settings import Settings
from support.jobs import run_internal_job, submit, wait_status
from support.tenants import TenantFixture

RETENTION = Settings().audit_retention_days  # JOBPLATFORM_AUDIT_RETENTION_DAYS (the default)

Counts = dict[tuple[str, str], int]  # (day, action) -> count


def _add_events(
    container: Container, tenant: TenantFixture, day: date, actions: dict[str, int]
) -> None:
    """Events of ``day``, spread over it (the first at midnight UTC, the last before the next
    midnight), so a day boundary off by any amount miscounts them."""
    total = sum(actions.values())
    start = datetime.combine(day, time(), tzinfo=UTC)
    step = timedelta(days=1) / total
    moments = [start + step * i for i in range(total - 1)] + [
        start + timedelta(days=1, microseconds=-1)
    ]
    names = [a for a, n in actions.items() for _ in range(n)]
    with container.uow_factory.for_tenant(tenant.id) as uow:
        for action, at in zip(names, moments, strict=True):
            uow.audit.add(
                AuditEvent(id=uuid.uuid4(), action=action, occurred_at=at, recorded_at=at)
            )
        uow.commit()


def _aggregate(api: httpx.Client, tenant: TenantFixture, first: date, last: date) -> str:
    r = submit(api, tenant, AUDIT_AGGREGATE.name, {"first_day": str(first), "last_day": str(last)})
    assert r.status_code == 202, r.text
    return str(r.json()["job_id"])


def _daily(api: httpx.Client, tenant: TenantFixture, first: date, last: date) -> Counts:
    r = api.get(
        "/v1/audit-events/daily",
        params={"from": str(first), "to": str(last)},
        headers=tenant.headers,
    )
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return {(i["day"], i["action"]): i["count"] for i in items}


def _raw_counts(database_url: str, tenant: TenantFixture) -> Counts:
    """The tenant's raw events counted here, independently of the platform's statement."""
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("SELECT set_config('jobplatform.scope', 'system', false)")
        rows = conn.execute(
            "SELECT occurred_at, action FROM audit_events WHERE tenant_id = %s",
            (tenant.id.value,),
        ).fetchall()
    return dict(Counter((str(at.astimezone(UTC).date()), action) for at, action in rows))


def test_aggregation_counts_each_tenants_events_per_day_and_action_and_recounts_the_same(
    api: httpx.Client,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    container: Container,
    platform: object,
    database_url: str,
) -> None:
    d1, d2, d3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 4)
    _add_events(container, tenant, d1, {"report.exported": 4, "key.issued": 1})
    _add_events(container, tenant, d2, {"report.exported": 2})
    _add_events(container, tenant, d3, {"key.revoked": 3})  # outside the range recounted
    _add_events(container, other_tenant, d1, {"report.exported": 7})
    expected = {k: n for k, n in _raw_counts(database_url, tenant).items() if k[0] <= str(d2)}
    assert sum(expected.values()) == 7

    # Two recounts of the same days at once (the heavy worker runs two jobs side by side).
    jobs = [_aggregate(api, tenant, d1, d2) for _ in range(2)]
    assert [wait_status(api, tenant, j, "succeeded", "dead")["status"] for j in jobs] == [
        "succeeded"
    ] * 2
    assert _daily(api, tenant, d1, d3) == expected
    assert _daily(api, other_tenant, d1, d3) == {}
    # Each tenant counts and reads its own events only.
    assert wait_status(api, other_tenant, _aggregate(api, other_tenant, d1, d3), "succeeded")
    assert _daily(api, other_tenant, d1, d3) == {(str(d1), "report.exported"): 7}
    assert _daily(api, tenant, d1, d3) == expected

    # Another event of a counted day, then a recount: the day's count is replaced, not added.
    _add_events(container, tenant, d1, {"key.issued": 1})
    assert wait_status(api, tenant, _aggregate(api, tenant, d1, d2), "succeeded")
    expected[(str(d1), "key.issued")] = 2
    assert _daily(api, tenant, d1, d3) == expected
    assert wait_status(api, tenant, _aggregate(api, tenant, d1, d2), "succeeded")
    assert _daily(api, tenant, d1, d3) == expected


def test_a_bad_day_range_is_refused(api: httpx.Client, tenant: TenantFixture) -> None:
    for payload in (
        {"first_day": "2026-03-02", "last_day": "2026-03-01"},  # backwards
        {"first_day": "2026-03-02"},  # half a range
        {"first_day": "2024-01-01", "last_day": "2026-01-01"},  # too long
        {"first_day": "2026-02-30", "last_day": "2026-03-01"},  # no such day
        {"first_day": "2026-03-01", "last_day": "2026-03-01", "tenant": "x"},  # unknown field
    ):
        r = submit(api, tenant, AUDIT_AGGREGATE.name, payload)
        assert r.status_code == 422, (payload, r.text)
    for params in ({"from": "2026-03-02", "to": "2026-03-01"}, {"from": "2026-03-02"}):
        r = api.get("/v1/audit-events/daily", params=params, headers=tenant.headers)
        assert r.status_code == 422, (params, r.text)


def test_compaction_deletes_only_old_events_and_keeps_their_counts(
    api: httpx.Client,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    container: Container,
    platform: object,
    database_url: str,
) -> None:
    today = container.clock.now().astimezone(UTC).date()
    old1, old2 = today - timedelta(days=RETENTION + 5), today - timedelta(days=RETENTION + 1)
    kept = today - timedelta(days=RETENTION)  # the oldest day whose events are kept
    recent = today - timedelta(days=3)
    _add_events(container, tenant, old1, {"report.exported": 5, "key.issued": 2})
    _add_events(container, tenant, old2, {"report.exported": 1})
    _add_events(container, tenant, kept, {"key.revoked": 2})
    _add_events(container, tenant, recent, {"report.exported": 4})
    _add_events(container, other_tenant, old1, {"report.exported": 3})
    # old2 counted before it got all its events: the seal recounts it.
    assert wait_status(api, tenant, _aggregate(api, tenant, old2, old2), "succeeded")
    _add_events(container, tenant, old2, {"key.issued": 4})
    before = _raw_counts(database_url, tenant)
    old = {k: n for k, n in before.items() if k[0] < str(kept)}
    assert sum(old.values()) == 12 and len(before) - len(old) == 2

    # A recount of the same days alongside (heavy worker) whatever the order: the day's lock
    # serializes the two, and a day sealed first is not recounted.
    alongside = _aggregate(api, tenant, old1, old2)
    assert run_internal_job(api, container, tenant, AUDIT_COMPACT.name) == "succeeded"
    assert wait_status(api, tenant, alongside, "succeeded", "dead")["status"] == "succeeded"
    assert _raw_counts(database_url, tenant) == {
        k: n for k, n in before.items() if k[0] >= str(kept)
    }
    assert _daily(api, tenant, old1, today) == old
    assert sum(_raw_counts(database_url, other_tenant).values()) == 3

    # Sealed days are final: a recount of them, or a second compaction, changes nothing.
    assert wait_status(api, tenant, _aggregate(api, tenant, old1, kept), "succeeded")
    assert run_internal_job(api, container, tenant, AUDIT_COMPACT.name) == "succeeded"
    after = {k: n for k, n in before.items() if k[0] == str(kept)}
    assert _daily(api, tenant, old1, today) == {**old, **after}
    assert _raw_counts(database_url, tenant) == {
        k: n for k, n in before.items() if k[0] >= str(kept)
    }


def test_a_sealed_day_is_never_recounted_while_its_events_go(
    tenant: TenantFixture, container: Container
) -> None:
    # What makes compaction safe beside a recount: once sealed, the day's counts are final,
    # even with only part of its events left.
    day = date(2026, 2, 10)
    _add_events(container, tenant, day, {"report.exported": 5, "key.issued": 2})
    units = container.uow_factory
    with units.for_tenant(tenant.id) as uow:
        assert uow.audit_daily.delete_sealed_events(day, 100) == 0  # not sealed: nothing goes
        assert uow.audit_daily.recount(day, seal=True)
        uow.commit()
    with units.for_tenant(tenant.id) as uow:
        assert uow.audit_daily.delete_sealed_events(day, 4) == 4
        uow.commit()
    with units.for_tenant(tenant.id) as uow:
        assert not uow.audit_daily.recount(day, seal=False)
        assert not uow.audit_daily.recount(day, seal=True)
        uow.commit()
    with units.for_tenant(tenant.id) as uow:
        counts = {(c.action, c.count) for c in uow.audit_daily.between(day, day)}
        assert uow.audit_daily.oldest_event_day(day, day + timedelta(days=1)) == day
    assert counts == {("report.exported", 5), ("key.issued", 2)}
