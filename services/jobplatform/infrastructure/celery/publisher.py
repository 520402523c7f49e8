"""The outbox relay's way to the broker."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import kombu.exceptions
import redis
from celery import Celery

from jobplatform.application.ports import PublishedBatch, Publisher, PublishError
from jobplatform.application.records import OutboxMessage
from jobplatform.infrastructure.celery.config import RUN_JOB_TASK
from jobplatform.infrastructure.celery.run_tickets import KWARGS_REPR, RunTickets

BROKER_ERRORS = (kombu.exceptions.OperationalError, redis.RedisError, OSError)
# A pipeline that failed once it was sent (a connection Redis dropped): kombu cannot say which
# of its messages went through.
BATCH_ERRORS = (*BROKER_ERRORS, kombu.exceptions.BatchPublishError)


class FreshArrivals(Protocol):
    def record(self, per_queue: Mapping[str, int]) -> None: ...


class CeleryPublisher(Publisher):
    """``fresh``: where each batch's newly published jobs are counted per queue for the
    autoscaler (infrastructure/redis/fresh_arrivals.py); None counts nothing. ``tickets``:
    how a job's first message gets its run ticket (run_tickets.py); None sends ids only."""

    def __init__(
        self, app: Celery, fresh: FreshArrivals | None = None, tickets: RunTickets | None = None
    ):
        self._app = app
        self._fresh = fresh
        self._tickets = tickets

    def publish(self, message: OutboxMessage) -> None:
        try:
            self._send(message, producer=None)
        except BROKER_ERRORS as exc:
            raise PublishError(str(message.job_id)) from exc

    def publish_batch(self, messages: Sequence[OutboxMessage]) -> PublishedBatch:
        """All the messages in one Redis pipeline (kombu's publish batch): one round trip.
        The pipeline is not a transaction, so after a failure some may have been taken; none
        is reported taken, and the relay publishes the whole batch again."""
        if not messages:
            return PublishedBatch(0, None)
        try:
            with (
                self._app.producer_or_acquire() as producer,
                producer.batch(max_size=len(messages)),
            ):
                for message in messages:
                    self._send(message, producer)
        except BATCH_ERRORS as exc:
            error = PublishError(str(messages[0].job_id))
            error.__cause__ = exc
            return PublishedBatch(0, error)
        if self._fresh is not None:
            # Ready to run now; an ETA message is a retry keeping its due time, not new work.
            self._fresh.record(Counter(m.queue for m in messages if m.not_before is None))
        return PublishedBatch(len(messages), None)

    def _send(self, message: OutboxMessage, producer: Any) -> None:
        headers = {
            "tenant_id": str(message.tenant_id),
            "job_id": str(message.job_id),
            "request_id": message.request_id or "",
            # published_at is stamped by the publish hook, on every message alike.
        }
        ticket = None
        if self._tickets is not None:
            ticket = self._tickets.issue(message, datetime.now(UTC))
        # retry=False: fail fast and leave the row in the outbox; the relay retries later.
        self._app.send_task(
            RUN_JOB_TASK,
            args=[str(message.job_id)],
            kwargs={"ticket": ticket} if ticket is not None else None,
            kwargsrepr=KWARGS_REPR if ticket is not None else None,
            queue=message.queue,
            routing_key=message.queue,
            task_id=str(message.job_id),
            headers=headers,
            # A re-published retry keeps its due time; the worker holds it until then.
            eta=message.not_before,
            retry=False,
            producer=producer,
        )
