"""Headers every published message carries.

Celery does not copy custom headers to child tasks, so a task published while a tenant
context is bound gets that tenant's headers here. ``published_at`` lets the autoscaler age
the oldest ready message.
"""

from __future__ import annotations

import time
from typing import Any

from celery.signals import before_task_publish

from jobplatform.application import tenant_context
from jobplatform.infrastructure.metrics import MESSAGES_PUBLISHED


@before_task_publish.connect
def add_platform_headers(
    sender: str | None = None, headers: dict[str, Any] | None = None, **_: Any
) -> None:
    MESSAGES_PUBLISHED.labels(task=sender or "unknown").inc()
    if headers is None:
        return
    headers["published_at"] = time.time()
    ctx = tenant_context.current()
    if ctx is not None and not headers.get("tenant_id"):
        headers["tenant_id"] = str(ctx.tenant_id)
        headers.setdefault("request_id", ctx.request_id or "")
