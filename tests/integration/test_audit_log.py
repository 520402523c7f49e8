"""Audit events are recorded off the request path: the API answers 202 with a queued job and
a worker writes the event, once, in the caller's tenant."""

from __future__ import annotations

from typing import Any

import httpx

from devstack.wait import wait_for
from support.jobs import wait_status
from support.tenants import TenantFixture


def _events(api: httpx.Client, tenant: TenantFixture) -> list[dict[str, Any]]:
    r = api.get("/v1/audit-events", headers=tenant.headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def test_an_audit_event_is_queued_then_written_once_for_its_tenant(
    api: httpx.Client, tenant: TenantFixture, other_tenant: TenantFixture, platform: object
) -> None:
    r = api.post(
        "/v1/audit-events",
        json={"action": "report.exported", "actor": "key:abc", "subject": "r-17", "data": {"n": 3}},
        headers={**tenant.headers, "X-Request-ID": "audit-req-1"},
    )
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    # The request did not write the event; the job it queued does.
    assert wait_status(api, tenant, job_id, "succeeded")["type"] == "audit.record"
    [event] = [e for e in _events(api, tenant) if e["id"] == job_id]
    assert (event["action"], event["actor"], event["subject"]) == (
        "report.exported",
        "key:abc",
        "r-17",
    )
    assert event["data"] == {"n": 3} and event["request_id"] == "audit-req-1"
    assert event["recorded_at"] >= event["occurred_at"]
    assert all(e["id"] != job_id for e in _events(api, other_tenant))


def test_configuring_a_webhook_endpoint_is_audited(
    api: httpx.Client, tenant: TenantFixture, platform: object
) -> None:
    api.put(
        "/v1/webhook-endpoints/audited",
        json={"url": "http://127.0.0.1:9/x", "secret_ref": "signing"},
        headers=tenant.headers,
    ).raise_for_status()
    event = wait_for(
        lambda: next(
            (e for e in _events(api, tenant) if e["action"] == "webhook_endpoint.updated"), None
        ),
        timeout=60,
        what="the audit event",
    )
    assert event["subject"] == "audited" and event["data"]["secret_ref"] == "signing"


def test_a_bad_audit_event_is_refused(api: httpx.Client, tenant: TenantFixture, web: str) -> None:
    for body in ({"action": ""}, {"action": "a b"}, {"action": "x", "extra": 1}):
        assert api.post("/v1/audit-events", json=body, headers=tenant.headers).status_code == 422
