"""A task that publishes a child task while it runs, loaded into a real worker (``--include``)
by the header-injection test. Celery copies no custom header to a child: only the platform's
publish hook can put the running job's tenant on it."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from jobplatform.infrastructure.celery.tenant_task import TenantTask

PARENT_TASK = "tests.publish_child"
CHILD_TASK = "tests.child"


@shared_task(bind=True, base=TenantTask, name=PARENT_TASK)
def publish_child(self: Any, queue: str) -> None:
    self.app.send_task(CHILD_TASK, queue=queue)
