"""The reconciler's and the lease keeper's repository, in the system scope."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection

from jobplatform.application import ports
from jobplatform.application.records import StallBounds, StalledJob
from jobplatform.domain.job_status import JobStatus
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.db import recovery_sql


class SqlRecovery(ports.Recovery):
    def __init__(self, conn: Connection):
        self._c = conn

    def renew_leases(self, job_ids: Sequence[uuid.UUID], owner: str, until: datetime) -> int:
        if not job_ids:
            return 0
        result = self._c.execute(
            recovery_sql.RENEW_LEASES, {"ids": list(job_ids), "owner": owner, "until": until}
        )
        return int(result.rowcount or 0)

    def mark_ticket_runs(
        self, job_ids: Sequence[uuid.UUID], owner: str, now: datetime, until: datetime
    ) -> int:
        if not job_ids:
            return 0
        result = self._c.execute(
            recovery_sql.MARK_TICKET_RUNS,
            {"ids": list(job_ids), "owner": owner, "now": now, "until": until},
        )
        return int(result.rowcount or 0)

    def find_stalled(
        self, now: datetime, bounds: StallBounds, broker_lost: bool, limit: int
    ) -> Sequence[StalledJob]:
        rows = self._c.execute(
            recovery_sql.FIND_STALLED,
            {
                "now": now,
                "queued_after": bounds.queued_after,
                "retry_grace": bounds.retry_grace,
                "broker_lost": broker_lost,
                "limit": limit,
            },
        )
        return [
            StalledJob(
                id=m["id"],
                tenant_id=TenantId(m["tenant_id"]),
                type=m["type"],
                queue=m["queue"],
                request_id=m["request_id"],
                status=JobStatus(m["status"]),
                next_attempt_at=m["next_attempt_at"],
            )
            for m in (r._mapping for r in rows)
        ]

    def mark_redispatched(self, job_ids: Sequence[uuid.UUID], now: datetime) -> None:
        if job_ids:
            self._c.execute(recovery_sql.MARK_REDISPATCHED, {"ids": list(job_ids), "now": now})
