"""Submitting through the HTTP API and waiting for a job to reach a state."""

from __future__ import annotations

from typing import Any

import httpx

from devstack.wait import wait_for
from support.tenants import TenantFixture


def submit(
    api: httpx.Client,
    tenant: TenantFixture,
    job_type: str,
    payload: dict[str, Any] | None = None,
    **headers: str,
) -> httpx.Response:
    return api.post(
        "/v1/jobs",
        json={"type": job_type, "payload": payload or {}},
        headers={**tenant.headers, **headers},
    )


def wait_status(
    api: httpx.Client, tenant: TenantFixture, job_id: str, *statuses: str, timeout: float = 60
) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        body: dict[str, Any] = api.get(f"/v1/jobs/{job_id}", headers=tenant.headers).json()
        return body if body.get("status") in statuses else None

    return wait_for(probe, timeout=timeout, interval=0.2, what=f"job {job_id} in {statuses}")
