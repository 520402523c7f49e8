"""The outbox relay's way to the broker."""

from __future__ import annotations

import kombu.exceptions
import redis
from celery import Celery

from jobplatform.application.ports import Publisher, PublishError
from jobplatform.application.records import OutboxMessage
from jobplatform.infrastructure.celery.config import RUN_JOB_TASK


class CeleryPublisher(Publisher):
    def __init__(self, app: Celery):
        self._app = app

    def publish(self, message: OutboxMessage) -> None:
        headers = {
            "tenant_id": str(message.tenant_id),
            "job_id": str(message.job_id),
            "request_id": message.request_id or "",
            # published_at is stamped by the publish hook, on every message alike.
        }
        try:
            # retry=False: fail fast and leave the row in the outbox; the relay retries later.
            self._app.send_task(
                RUN_JOB_TASK,
                args=[str(message.job_id)],
                queue=message.queue,
                routing_key=message.queue,
                task_id=str(message.job_id),
                headers=headers,
                # A re-published retry keeps its due time; the worker holds it until then.
                eta=message.not_before,
                retry=False,
            )
        except (kombu.exceptions.OperationalError, redis.RedisError, OSError) as exc:
            raise PublishError(str(message.job_id)) from exc
