"""Report generation end to end: submitted through the API, written by a real heavy worker
from Postgres into the tenant's storage, downloaded through the API by its tenant only."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from support.jobs import submit, wait_status
from support.tenants import TenantFixture


def _noops(api: httpx.Client, tenant: TenantFixture, n: int) -> set[str]:
    ids = set()
    for _ in range(n):
        r = submit(api, tenant, "noop")
        assert r.status_code == 202, r.text
        ids.add(r.json()["job_id"])
    return ids


def _audit_events(api: httpx.Client, tenant: TenantFixture, n: int) -> set[str]:
    ids = set()
    for i in range(n):
        r = api.post(
            "/v1/audit-events",
            json={
                "action": "contact.viewed",
                "actor": "key:t",
                "subject": f"c{i}",
                "data": {"i": i},
            },
            headers=tenant.headers,
        )
        assert r.status_code == 202, r.text
        ids.add(r.json()["job_id"])
    for job_id in ids:  # written by a worker: there before the report is asked for
        wait_status(api, tenant, job_id, "succeeded")
    return ids


def _now() -> datetime:
    return datetime.now(UTC)


def _report(api: httpx.Client, tenant: TenantFixture, payload: dict[str, Any]) -> dict[str, Any]:
    r = submit(api, tenant, "report.generate", payload)
    assert r.status_code == 202, r.text
    return wait_status(api, tenant, r.json()["job_id"], "succeeded", "dead")


def _lines(api: httpx.Client, tenant: TenantFixture, job_id: str) -> list[dict[str, Any]]:
    r = api.get(f"/v1/jobs/{job_id}/report", headers=tenant.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in r.text.splitlines()]


def test_a_report_holds_exactly_the_tenants_rows_of_the_period(
    api: httpx.Client,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    platform: object,
    storage_root: Path,
) -> None:
    before = _noops(api, tenant, 3)
    start = _now()
    jobs = _noops(api, tenant, 9)
    events = _audit_events(api, tenant, 6)
    # The other tenant's rows of the same period must not appear.
    others = _noops(api, other_tenant, 3) | _audit_events(api, other_tenant, 2)
    end = _now()
    after = _noops(api, tenant, 2)

    job = _report(api, tenant, {"start": start.isoformat(), "end": end.isoformat()})
    assert job["status"] == "succeeded", job
    lines = _lines(api, tenant, job["id"])
    reported_jobs = [line for line in lines if line["record"] == "job"]
    reported_events = [line for line in lines if line["record"] == "audit_event"]
    assert len(reported_jobs) + len(reported_events) == len(lines)
    # Every job of the period once (the audit.record jobs are jobs too), in time order.
    assert sorted(j["id"] for j in reported_jobs) == sorted(jobs | events)
    assert [j["created_at"] for j in reported_jobs] == sorted(
        j["created_at"] for j in reported_jobs
    )
    assert sorted(e["id"] for e in reported_events) == sorted(events)
    assert {e["subject"] for e in reported_events} == {f"c{i}" for i in range(6)}
    assert not {line["id"] for line in lines} & (before | after | others | {job["id"]})
    assert all("payload" not in j for j in reported_jobs)

    # One file for the job, none half-written beside it.
    reports = storage_root / str(tenant.id) / "reports"
    assert [p.name for p in reports.iterdir()] == [f"{job['id'].replace('-', '')}.jsonl"]

    # Only its own tenant downloads it; a job that is not a report has none.
    other = api.get(f"/v1/jobs/{job['id']}/report", headers=other_tenant.headers)
    assert other.status_code == 404
    not_a_report = api.get(f"/v1/jobs/{next(iter(jobs))}/report", headers=tenant.headers)
    assert not_a_report.status_code == 404

    # Audit events only.
    only_events = _report(
        api,
        tenant,
        {"start": start.isoformat(), "end": end.isoformat(), "include": ["audit_events"]},
    )
    events_only = _lines(api, tenant, only_events["id"])
    assert sorted(e["id"] for e in events_only) == sorted(events)
    assert {e["record"] for e in events_only} == {"audit_event"}


def test_an_empty_period_gives_an_empty_report(
    api: httpx.Client, tenant: TenantFixture, platform: object
) -> None:
    long_ago = datetime(2001, 1, 1, tzinfo=UTC)
    job = _report(
        api,
        tenant,
        {"start": long_ago.isoformat(), "end": (long_ago + timedelta(days=1)).isoformat()},
    )
    assert job["status"] == "succeeded", job
    assert _lines(api, tenant, job["id"]) == []


def test_a_bad_period_is_422_before_anything_is_queued(
    api: httpx.Client, tenant: TenantFixture, web: str
) -> None:
    start = _now()
    bad = [
        {"start": start.isoformat(), "end": (start - timedelta(hours=1)).isoformat()},
        {"start": start.isoformat(), "end": start.isoformat()},
        {"start": "2026-01-01T00:00:00", "end": "2026-01-02T00:00:00Z"},
        {"start": "yesterday", "end": start.isoformat()},
        {"start": "2024-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
        {"start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z", "include": ["contacts"]},
        {"start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z", "include": []},
        {"start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z", "path": "../x"},
        {"end": "2026-01-02T00:00:00Z"},
    ]
    for payload in bad:
        r = submit(api, tenant, "report.generate", payload)
        assert r.status_code == 422, (payload, r.text)
        assert r.json()["errors"], r.text
    listed = api.get("/v1/jobs", params={"type": "report.generate"}, headers=tenant.headers)
    assert listed.status_code == 200 and listed.json()["items"] == []
