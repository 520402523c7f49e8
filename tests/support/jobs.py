"""Submitting through the HTTP API and waiting for a job to reach a state."""

from __future__ import annotations

from typing import Any

import httpx

from devstack.wait import wait_for
from jobplatform.application.submit_job import SubmitJob, submit_job
from jobplatform.domain.tenant import TenantContext
from jobplatform.infrastructure.container import Container
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


def run_internal_job(
    api: httpx.Client,
    container: Container,
    tenant: TenantFixture,
    job_type: str,
    request_id: str = "internal-job-test",
) -> str:
    """Submit an internal job (one the API refuses from tenants: scheduled maintenance) as
    beat's fan-out does, in the tenant's scope, and wait for its final status."""
    submitted = submit_job(
        SubmitJob(type=job_type, payload={}, internal_allowed=True),
        TenantContext(tenant_id=tenant.id, request_id=request_id),
        container.uow_factory,
        container.clock,
        container.idempotency_ttl,
    )
    return str(wait_status(api, tenant, str(submitted.job.id), "succeeded", "dead")["status"])
