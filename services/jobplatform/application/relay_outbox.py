"""Use case: publish committed outbox rows to the broker. Nothing is lost while it is down."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from jobplatform.application.ports import Clock, Publisher, PublishError, UnitOfWorkFactory

log = structlog.get_logger("jobplatform.relay")


@dataclass(frozen=True, slots=True)
class RelayPass:
    published: int
    broker_down: bool


def relay_once(
    uow_factory: UnitOfWorkFactory, publisher: Publisher, clock: Clock, batch_size: int = 200
) -> RelayPass:
    """Publish up to ``batch_size`` rows, oldest first; stop at the first broker error.

    Rows are locked with SKIP LOCKED so several relays can run side by side. A row published
    but not yet marked (a crash in between) is published again later: workers are idempotent.
    """
    with uow_factory.system() as uow:
        batch = uow.outbox.claim_unpublished(batch_size)
        done: list[int] = []
        broker_down = False
        for message in batch:
            try:
                publisher.publish(message)
            except PublishError as exc:
                broker_down = True
                log.warning(
                    "outbox_publish_failed",
                    job_id=str(message.job_id),
                    tenant_id=str(message.tenant_id),
                    request_id=message.request_id,
                    error_class=type(exc.__cause__ or exc).__name__,
                    pending=len(batch) - len(done),
                )
                break
            if message.id is not None:  # rows read from the outbox always have one
                done.append(message.id)
        if done:
            uow.outbox.mark_published(done, clock.now())
        uow.commit()
    return RelayPass(published=len(done), broker_down=broker_down)
