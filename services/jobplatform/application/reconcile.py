"""Use case: publish again every accepted job whose progress has stalled.

Postgres says which jobs are in flight; Redis may have lost their messages (a restart without
persistence, a failover, a flush), a worker may have died holding one, or a retry's countdown
message may be gone. Re-publishing is always safe: a delivery of a finished job, or of a job
another live run holds, is dropped, and effects are guarded by the ledger.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import structlog

from jobplatform.application.ports import BrokerMarker, Clock, UnitOfWorkFactory
from jobplatform.application.records import OutboxMessage, StallBounds, StalledJob
from jobplatform.domain.job_status import JobStatus

log = structlog.get_logger("jobplatform.reconciler")


@dataclass(frozen=True, slots=True)
class ReconcilePass:
    broker_lost: bool
    # Re-published jobs by the reason they stalled.
    redispatched: Counter[str] = field(default_factory=Counter)


def stall_reason(job: StalledJob, broker_lost: bool) -> str:
    if broker_lost:
        return "broker_lost"
    return {
        JobStatus.QUEUED: "queued_stalled",
        JobStatus.RETRYING: "retry_overdue",
        JobStatus.RUNNING: "lease_expired",
    }.get(job.status, "unknown")


def reconcile_once(
    uow_factory: UnitOfWorkFactory,
    marker: BrokerMarker,
    clock: Clock,
    bounds: StallBounds,
    batch_size: int = 500,
) -> ReconcilePass:
    """Find up to ``batch_size`` stalled jobs and queue a new message for each in the outbox.

    While the broker cannot be reached the time bounds still apply: the new rows wait in the
    outbox until the relay can publish them.
    """
    broker_lost = marker.lost_since_last_check() is True
    if broker_lost:
        log.warning("broker_data_lost", action="republishing every job in flight")
    now = clock.now()
    result = ReconcilePass(broker_lost=broker_lost)
    # After a loss every job in flight goes out in this pass, batch after batch; otherwise
    # one batch per pass keeps each pass short.
    while _redispatch_batch(uow_factory, now, bounds, result, batch_size) == batch_size:
        if not broker_lost:
            break
    return result


def _redispatch_batch(
    uow_factory: UnitOfWorkFactory,
    now: datetime,
    bounds: StallBounds,
    result: ReconcilePass,
    batch_size: int,
) -> int:
    with uow_factory.system() as uow:
        stalled = uow.recovery.find_stalled(now, bounds, result.broker_lost, batch_size)
        for job in stalled:
            # A retry keeps its due time; everything else is due now.
            due = job.next_attempt_at if job.status is JobStatus.RETRYING else None
            uow.outbox.add(
                OutboxMessage(
                    id=None,
                    job_id=job.id,
                    tenant_id=job.tenant_id,
                    job_type=job.type,
                    queue=job.queue,
                    request_id=job.request_id,
                    created_at=now,
                    not_before=due if due is not None and due > now else None,
                )
            )
            reason = stall_reason(job, result.broker_lost)
            result.redispatched[reason] += 1
            log.info(
                "job_redispatched",
                job_id=str(job.id),
                tenant_id=str(job.tenant_id),
                request_id=job.request_id,
                job_type=job.type,
                status=job.status.value,
                reason=reason,
            )
        uow.recovery.mark_redispatched([j.id for j in stalled], now)
        uow.commit()
    return len(stalled)
