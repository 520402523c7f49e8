"""Use case: publish committed outbox rows to the broker. Nothing is lost while it is down."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from jobplatform.application.ports import Clock, PublishedBatch, Publisher, UnitOfWorkFactory

log = structlog.get_logger("jobplatform.relay")


@dataclass(frozen=True, slots=True)
class RelayPass:
    published: int
    broker_down: bool


def relay_once(
    uow_factory: UnitOfWorkFactory, publisher: Publisher, clock: Clock, batch_size: int = 200
) -> RelayPass:
    """Publish up to ``batch_size`` rows, oldest first, as one batch; mark what the broker took.

    Rows are locked with SKIP LOCKED so several relays can run side by side. The marks commit
    after the batch went out: a crash in between leaves the whole batch unmarked, and the next
    pass publishes it again (at most one batch twice per crash; workers drop a delivery of a
    job that already started or finished).
    """
    with uow_factory.system() as uow:
        batch = uow.outbox.claim_unpublished(batch_size)
        sent = publisher.publish_batch(batch) if batch else PublishedBatch(0, None)
        if sent.error is not None:
            first = batch[sent.taken]
            log.warning(
                "outbox_publish_failed",
                job_id=str(first.job_id),
                tenant_id=str(first.tenant_id),
                request_id=first.request_id,
                error_class=type(sent.error.__cause__ or sent.error).__name__,
                pending=len(batch) - sent.taken,
            )
        done = [m.id for m in batch[: sent.taken] if m.id is not None]
        if done:
            uow.outbox.mark_published(done, clock.now())
        uow.commit()
    return RelayPass(published=len(done), broker_down=sent.error is not None)
