"""Run tickets: a job's first message carries the job, signed, so its run reads nothing first.

The relay puts the job's id, tenant, type and payload and the end of the ticket's window, as
JSON text, in the first message of a job that never ran, with an HMAC-SHA256 of that text. A
worker that checks the signature runs the job from the message and writes nothing until the
outcome (docs/reliability.md, "Run tickets"). Anything else is read from Postgres as before:
no key, a bad or foreign signature, a window that ended, a redelivered message (its first
run may have died: the read counts the attempt), a payload type that may hold secrets (they
never leave Postgres), a payload too large to copy into the broker.

The window ends halfway to the reconciler's queued bound, so a ticket is never trusted once
the reconciler could have published the job again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import structlog

from jobplatform.application.records import OutboxMessage, RunTicket
from jobplatform.domain.job_types.catalog import UnknownJobType, job_type
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.metrics import RUN_TICKETS

log = structlog.get_logger("jobplatform.worker")

# A job larger than this (as JSON) is read from Postgres: the broker keeps ids, not blobs.
MAX_PAYLOAD_BYTES = 16_384
# What Celery shows of the task's arguments (logs, `celery inspect`): never the payload.
KWARGS_REPR = "{'ticket': '<signed job>'}"


@dataclass(frozen=True, slots=True)
class RunTickets:
    # Never in a repr (logs, tracebacks).
    key: bytes = field(repr=False)
    # From a job's first dispatch to the end of its ticket's window.
    window: timedelta
    # The keyed state, made once: each signature copies it. (A one-shot HMAC sets the key up
    # again every time, and lets go of the GIL, which a busy thread may then hold for
    # milliseconds.)
    _keyed: Any = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_keyed", hmac.new(self.key, digestmod=hashlib.sha256))

    def issue(self, message: OutboxMessage, now: datetime) -> dict[str, Any] | None:
        """The ticket for ``message``, or None when its run must read the job."""
        first = message.first_delivery
        if first is None:
            return None
        try:
            spec = job_type(message.job_type)
        except UnknownJobType:
            return None
        if spec.holds_secrets(first.payload):
            return None
        until = first.dispatched_at + self.window
        if until <= now:
            return None
        # The job as JSON text, signed as sent: the worker checks these very bytes.
        job = json.dumps(
            [str(message.job_id), str(message.tenant_id), message.job_type, first.payload,
             until.timestamp()],
            separators=(",", ":"),
        )  # fmt: skip
        if len(job) > MAX_PAYLOAD_BYTES:
            return None
        return {"job": job, "sig": self._sign(job)}

    def check(
        self,
        ticket: object,
        job_id: uuid.UUID,
        tenant: TenantId,
        redelivered: bool,
        now: datetime,
    ) -> RunTicket | None:
        """The job the ticket carries if the run may start from it; None otherwise (the run
        reads the job). A ticket whose signature fails is logged: a key mismatch between
        relay and workers, or a message not written by the relay."""
        if not isinstance(ticket, dict):
            _refused("malformed")
            return None
        job, signature = ticket.get("job"), ticket.get("sig")
        if not isinstance(job, str) or not isinstance(signature, str):
            _refused("malformed")
            return None
        if not hmac.compare_digest(self._sign(job), signature):
            _refused("bad_signature")
            return None
        try:
            signed_id, signed_tenant, job_type_name, payload, until = json.loads(job)
        except (ValueError, TypeError):
            _refused("malformed")
            return None
        if signed_id != str(job_id) or signed_tenant != str(tenant):
            # Signed by the relay, for another job or tenant: a message put together from
            # parts of others.
            _refused("other_job")
            return None
        if redelivered:
            _counted("redelivered").inc()
            return None
        if not isinstance(until, int | float) or until <= now.timestamp():
            _counted("expired").inc()
            return None
        if not isinstance(job_type_name, str) or not isinstance(payload, dict):
            _refused("malformed")
            return None
        _counted("used").inc()
        return RunTicket(job_type=job_type_name, payload=payload)

    def _sign(self, job: str) -> str:
        mac = self._keyed.copy()
        mac.update(job.encode())
        return str(mac.hexdigest())


@cache
def _counted(result: str) -> Any:
    # Looked up once per process: every job counts one.
    return RUN_TICKETS.labels(result)


def _refused(reason: str) -> None:
    _counted(reason).inc()
    log.error("run_ticket_refused", reason=reason)
