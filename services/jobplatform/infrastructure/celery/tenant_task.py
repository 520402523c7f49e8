"""The base of every tenant task: no tenant header, no run.

The tenant context is rebuilt from the message headers before the task body runs and cleared
after it, so nothing of one job's tenant leaks into the next job in the same process.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from celery import Task

from jobplatform.application import tenant_context
from jobplatform.application.records import RejectedMessage
from jobplatform.domain.tenant import TenantContext, TenantId
from jobplatform.infrastructure.metrics import REJECTED_MESSAGES

log = structlog.get_logger("jobplatform.worker")

CONTEXT_HEADERS = ("tenant_id", "job_id", "request_id")


def message_headers(request: Any) -> dict[str, str]:
    """Custom headers as Celery exposes them: on the request itself, or in request.headers."""
    extra = getattr(request, "headers", None) or {}
    found: dict[str, str] = {}
    for name in (*CONTEXT_HEADERS, "published_at"):
        value = getattr(request, name, None) or extra.get(name)
        if value not in (None, ""):
            found[name] = str(value)
    return found


class TenantTask(Task):  # type: ignore[misc]
    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        headers = message_headers(self.request)
        if "tenant_id" not in headers:
            self._reject(headers, "missing_tenant", "no tenant_id header")
            return None
        try:
            tenant = TenantId.parse(headers["tenant_id"])
        except ValueError:
            self._reject(headers, "invalid_tenant", "tenant_id header is not a tenant id")
            return None
        try:
            job_id = uuid.UUID(headers["job_id"]) if "job_id" in headers else None
        except ValueError:
            self._reject(headers, "invalid_job_id", "job_id header is not a UUID")
            return None
        ctx = TenantContext(tenant_id=tenant, request_id=headers.get("request_id"), job_id=job_id)
        structlog.contextvars.bind_contextvars(
            tenant_id=str(ctx.tenant_id),
            job_id=headers.get("job_id"),
            request_id=ctx.request_id,
            task=self.name,
        )
        try:
            with tenant_context.bound(ctx):
                return super().__call__(*args, **kwargs)
        finally:
            structlog.contextvars.unbind_contextvars("tenant_id", "job_id", "request_id", "task")

    def _reject(self, headers: dict[str, str], code: str, reason: str) -> None:
        """Never run, never silent: log, count, and keep the message for inspection.
        ``code`` is the metric label (a fixed set), ``reason`` the stored explanation."""
        queue = (self.request.delivery_info or {}).get("routing_key") or "unknown"
        log.error(
            "message_rejected",
            reason=code,
            detail=reason,
            task=self.name,
            task_id=self.request.id,
            job_id=headers.get("job_id"),
            request_id=headers.get("request_id"),
            queue=queue,
        )
        REJECTED_MESSAGES.labels(reason=code).inc()
        c = self.app.container
        with c.uow_factory.system() as uow:
            uow.record_rejected(
                RejectedMessage(
                    task_name=self.name,
                    job_id=headers.get("job_id") or self.request.id,
                    reason=reason,
                    headers={
                        k: v for k, v in headers.items() if k in (*CONTEXT_HEADERS, "published_at")
                    },
                )
            )
            uow.commit()
        c.queue_stats.increment(queue, "rejected")
