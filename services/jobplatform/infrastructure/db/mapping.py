"""Row <-> record conversion, kept apart so the domain never sees SQLAlchemy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row

from jobplatform.application.records import (
    AttemptRecord,
    DeadLetter,
    FirstDelivery,
    OutboxMessage,
)
from jobplatform.domain.job import Job
from jobplatform.domain.job_status import JobStatus
from jobplatform.domain.tenant import TenantId


def job_from_row(row: Row[Any]) -> Job:
    return job_from_mapping(row._mapping)


def job_from_mapping(m: Mapping[Any, Any]) -> Job:
    return Job(
        id=m["id"],
        tenant_id=TenantId(m["tenant_id"]),
        type=m["type"],
        queue=m["queue"],
        payload=dict(m["payload"]),
        status=JobStatus(m["status"]),
        attempts=m["attempts"],
        attempts_before_series=m["attempts_before_series"],
        request_id=m["request_id"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        started_at=m["started_at"],
        finished_at=m["finished_at"],
        error_class=m["error_class"],
        lease_owner=m["lease_owner"],
        lease_expires_at=m["lease_expires_at"],
        next_attempt_at=m["next_attempt_at"],
        dispatched_at=m["dispatched_at"],
        redispatches=m["redispatches"],
    )


def job_to_values(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "tenant_id": job.tenant_id.value,
        "type": job.type,
        "queue": job.queue,
        "payload": job.payload,
        "status": job.status.value,
        "attempts": job.attempts,
        "attempts_before_series": job.attempts_before_series,
        "request_id": job.request_id,
        "error_class": job.error_class,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "lease_owner": job.lease_owner,
        "lease_expires_at": job.lease_expires_at,
        "next_attempt_at": job.next_attempt_at,
        "dispatched_at": job.dispatched_at or job.updated_at,
        "redispatches": job.redispatches,
    }


def outbox_from_row(row: Row[Any]) -> OutboxMessage:
    m = row._mapping
    return OutboxMessage(
        id=m["id"],
        job_id=m["job_id"],
        tenant_id=TenantId(m["tenant_id"]),
        job_type=m["job_type"],
        queue=m["queue"],
        request_id=m["request_id"],
        created_at=m["created_at"],
        not_before=m["not_before"],
        first_delivery=(
            FirstDelivery(m["first_payload"], m["first_dispatched_at"])
            if m.get("first_payload") is not None and m.get("first_dispatched_at") is not None
            else None
        ),
    )


def dead_letter_from_row(row: Row[Any]) -> DeadLetter:
    m = row._mapping
    return DeadLetter(
        id=m["id"],
        tenant_id=TenantId(m["tenant_id"]),
        job_id=m["job_id"],
        job_type=m["job_type"],
        reason=m["reason"],
        attempts=m["attempts"],
        error_class=m["error_class"],
        created_at=m["created_at"],
        replayed_at=m["replayed_at"],
    )


def attempt_from_row(row: Row[Any]) -> AttemptRecord:
    m = row._mapping
    return AttemptRecord(
        job_id=m["job_id"],
        tenant_id=TenantId(m["tenant_id"]),
        attempt=m["attempt"],
        started_at=m["started_at"],
        finished_at=m["finished_at"],
        outcome=m["outcome"],
        error_class=m["error_class"],
        retry_delay=m["retry_delay"],
    )
