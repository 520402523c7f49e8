"""Run tickets: what the relay signs, what a worker accepts, and a run started from one."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from jobplatform.application.ports import DeferredOutcomes
from jobplatform.application.records import FirstDelivery, OutboxMessage, RunTicket, SucceededRun
from jobplatform.application.run_job import JobRunner, Outcome
from jobplatform.application.submit_job import SubmitJob, submit_job
from jobplatform.domain.job_status import JobStatus
from jobplatform.domain.tenant import TenantContext, TenantId
from jobplatform.infrastructure.celery.run_tickets import RunTickets
from unit.fakes import FakeClock, FakeEvents, FakeUowFactory

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
TICKETS = RunTickets(b"k" * 32, timedelta(seconds=150))


def _message(
    job_type: str = "noop",
    payload: dict[str, object] | None = None,
    dispatched_at: datetime = NOW,
    first: bool = True,
) -> OutboxMessage:
    return OutboxMessage(
        id=1,
        job_id=uuid.uuid4(),
        tenant_id=TenantId(uuid.uuid4()),
        job_type=job_type,
        queue="default",
        request_id=None,
        created_at=dispatched_at,
        first_delivery=FirstDelivery(payload or {}, dispatched_at) if first else None,
    )


def _check(ticket: object, m: OutboxMessage, *, redelivered: bool = False, now: datetime = NOW):
    return TICKETS.check(ticket, m.job_id, m.tenant_id, redelivered, now)


def test_a_first_message_carries_its_job_and_the_worker_takes_it() -> None:
    m = _message("report.generate", {"kind": "summary"})
    ticket = TICKETS.issue(m, NOW)
    assert ticket is not None
    assert _check(ticket, m) == RunTicket("report.generate", {"kind": "summary"})


def test_a_changed_job_or_a_foreign_key_is_refused() -> None:
    m = _message(payload={})
    ticket = TICKETS.issue(m, NOW)
    assert ticket is not None
    forged = json.loads(ticket["job"])
    forged[2] = "email.send"
    assert _check({**ticket, "job": json.dumps(forged)}, m) is None
    other_key = RunTickets(b"o" * 32, timedelta(seconds=150)).issue(m, NOW)
    assert _check(other_key, m) is None
    assert _check({"job": ticket["job"]}, m) is None
    assert _check("not a ticket", m) is None


def test_a_ticket_is_good_for_its_own_job_and_tenant_only() -> None:
    m, other = _message(), _message()
    ticket = TICKETS.issue(m, NOW)
    assert _check(ticket, other) is None
    assert TICKETS.check(ticket, m.job_id, other.tenant_id, False, NOW) is None


def test_a_redelivery_or_an_ended_window_reads_the_job() -> None:
    m = _message()
    ticket = TICKETS.issue(m, NOW)
    assert _check(ticket, m, redelivered=True) is None
    assert _check(ticket, m, now=NOW + timedelta(seconds=149)) is not None
    assert _check(ticket, m, now=NOW + timedelta(seconds=150)) is None


@pytest.mark.parametrize(
    "message",
    [
        _message(first=False),  # run before, re-published, or a retry
        _message("diagnostic", {"secret_token": "s3cret"}),  # secrets stay in Postgres
        _message(payload={"text": "x" * 20_000}),  # too large to copy into the broker
        _message(dispatched_at=NOW - timedelta(seconds=151)),  # the window ended already
        _message("no.such.type"),
    ],
)
def test_no_ticket_when_the_run_must_read_its_job(message: OutboxMessage) -> None:
    assert TICKETS.issue(message, NOW) is None


def test_a_diagnostic_job_without_a_secret_gets_a_ticket() -> None:
    m = _message("diagnostic", {"sleep_seconds": 1.0, "secret_token": None})
    assert _check(TICKETS.issue(m, NOW), m) is not None


class _Deferred(DeferredOutcomes):
    def __init__(self) -> None:
        self.runs: list[SucceededRun] = []

    def defer(self, run: SucceededRun) -> None:
        self.runs.append(run)


def _world() -> tuple[FakeUowFactory, JobRunner, _Deferred, TenantContext]:
    uow, deferred = FakeUowFactory(), _Deferred()
    runner = JobRunner(uow, FakeClock(), FakeEvents(), rng=random.Random(0), deferred=deferred)
    return uow, runner, deferred, TenantContext(tenant_id=TenantId(uuid.uuid4()))


def _submit(uow: FakeUowFactory, ctx: TenantContext, job_type: str, payload: dict) -> uuid.UUID:
    return submit_job(
        SubmitJob(job_type, payload), ctx, uow, FakeClock(), timedelta(hours=1)
    ).job.id


def test_a_run_from_its_ticket_writes_nothing_before_its_outcome() -> None:
    uow, runner, deferred, ctx = _world()
    job_id = _submit(uow, ctx, "noop", {})
    result = runner.run(job_id, ctx, "worker@test", ticket=RunTicket("noop", {}))
    assert result.outcome is Outcome.SUCCEEDED and result.attempt == 1
    stored = uow.store.jobs[job_id]
    assert stored.status is JobStatus.QUEUED and stored.attempts == 0
    [run] = deferred.runs
    assert run.job.id == job_id and run.ticket_owner == "worker@test"
    assert run.attempt.attempt == 1


def test_a_failed_run_from_its_ticket_takes_its_job_before_recording() -> None:
    uow, runner, deferred, ctx = _world()
    payload = {"fail_times": 1}
    job_id = _submit(uow, ctx, "diagnostic", payload)
    result = runner.run(job_id, ctx, "worker@test", ticket=RunTicket("diagnostic", payload))
    assert result.outcome is Outcome.RETRY and not deferred.runs
    stored = uow.store.jobs[job_id]
    assert stored.status is JobStatus.RETRYING and stored.attempts == 1
    assert [a.outcome for a in uow.store.attempts] == ["retry"]


def test_a_failed_run_whose_job_another_run_took_records_nothing() -> None:
    uow, runner, _, ctx = _world()
    payload = {"non_retryable": True}
    job_id = _submit(uow, ctx, "diagnostic", payload)
    # Another delivery read the job and runs it (a re-publish after the window).
    assert runner.run(job_id, ctx, "other@test").outcome is Outcome.DEAD
    result = runner.run(job_id, ctx, "worker@test", ticket=RunTicket("diagnostic", payload))
    assert result.outcome is Outcome.SKIPPED
    assert len(uow.store.letters) == 1 and uow.store.jobs[job_id].attempts == 1


def test_without_a_write_behind_a_ticket_is_not_used() -> None:
    uow = FakeUowFactory()
    runner = JobRunner(uow, FakeClock(), FakeEvents())
    ctx = TenantContext(tenant_id=TenantId(uuid.uuid4()))
    job_id = _submit(uow, ctx, "noop", {})
    assert runner.run(job_id, ctx, "w", ticket=RunTicket("noop", {})).outcome is Outcome.SUCCEEDED
    assert uow.store.jobs[job_id].status is JobStatus.SUCCEEDED


def test_the_key_never_shows_in_a_repr() -> None:
    assert "kkkk" not in repr(TICKETS)
