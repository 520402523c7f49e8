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
from jobplatform.infrastructure.container import container
from jobplatform.infrastructure.metrics import REJECTED_MESSAGES
from jobplatform.infrastructure.redis.worker_keys import queue_stats_key

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
        try:
            ctx = TenantContext(
                tenant_id=TenantId.parse(headers["tenant_id"]),
                request_id=headers.get("request_id"),
                job_id=uuid.UUID(headers["job_id"]) if "job_id" in headers else None,
            )
        except (KeyError, ValueError):
            self._reject(headers, "missing or invalid tenant_id or job_id header")
            return None
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

    def _reject(self, headers: dict[str, str], reason: str) -> None:
        """Never run, never silent: log, count, and keep the message for inspection."""
        queue = (self.request.delivery_info or {}).get("routing_key") or "unknown"
        log.error(
            "message_rejected",
            reason=reason,
            task=self.name,
            task_id=self.request.id,
            job_id=headers.get("job_id"),
            request_id=headers.get("request_id"),
            queue=queue,
        )
        REJECTED_MESSAGES.labels(reason="missing_tenant").inc()
        c = container()
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
        c.redis.hincrby(queue_stats_key(queue), "rejected", 1)
