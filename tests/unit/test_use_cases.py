"""The use cases' rules on in-memory ports: submit, run, retry, dead-letter, replay."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import timedelta
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobplatform.application.effects import EffectGuard
from jobplatform.application.errors import AlreadyReplayed, IdempotencyConflict, InvalidPayload
from jobplatform.application.handlers.job_run import JobRun
from jobplatform.application.handlers.registry import AFTER_FINISH, HANDLERS
from jobplatform.application.replay_dead_letter import replay_dead_letter
from jobplatform.application.run_job import JobRunner, Outcome
from jobplatform.application.submit_job import SubmitJob, submit_job
from jobplatform.application.tenant_units import TenantUnits
from jobplatform.domain.job_status import JobStatus
from jobplatform.domain.job_types.diagnostic import DIAGNOSTIC
from jobplatform.domain.tenant import TenantContext, TenantId
from unit.fakes import FakeClock, FakeEvents, FakeUowFactory

TTL = timedelta(hours=1)


@pytest.fixture
def world() -> tuple[FakeUowFactory, FakeClock, FakeEvents, JobRunner]:
    uow, clock, events = FakeUowFactory(), FakeClock(), FakeEvents()
    return uow, clock, events, JobRunner(uow, clock, events, rng=random.Random(1))


def as_tenant(tenant: TenantId) -> TenantContext:
    return TenantContext(tenant_id=tenant, request_id="r")


@contextmanager
def _as(tenant: TenantId) -> Iterator[TenantContext]:
    yield as_tenant(tenant)


def test_a_handler_can_open_units_of_work_of_its_own_tenant_only(world: tuple) -> None:
    # What a handler gets: the run's TenantUnits, with no cross-tenant (system) path and no
    # way to name another tenant.
    uow, clock, events, _ = world
    seen: list[JobRun] = []
    tenant = TenantId(uuid.uuid4())
    ctx = as_tenant(tenant)
    job = submit_job(SubmitJob("noop", {}), ctx, uow, clock, TTL).job
    runner = JobRunner(uow, clock, events)
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(HANDLERS, "noop", lambda payload, run: seen.append(run))
        assert runner.run(job.id, ctx, "worker@test").outcome is Outcome.SUCCEEDED
    (run,) = seen
    assert isinstance(run.units, TenantUnits) and run.units.tenant == tenant
    assert not any(hasattr(getattr(run, f.name), "system") for f in fields(run))
    assert not hasattr(run.units, "system") and not hasattr(run, "uow_factory")
    with run.units.open():
        pass
    assert uow.opened_for[-1] == tenant


def test_invalid_payload_stores_nothing(world: tuple) -> None:
    uow, clock, _, _ = world
    with _as(TenantId(uuid.uuid4())) as ctx, pytest.raises(InvalidPayload):
        submit_job(SubmitJob("diagnostic", {"fail_times": "many"}), ctx, uow, clock, TTL)
    assert uow.store.jobs == {} and uow.store.outbox == []


def test_job_and_outbox_row_are_written_together(world: tuple) -> None:
    uow, clock, _, _ = world
    with _as(TenantId(uuid.uuid4())) as ctx:
        job = submit_job(SubmitJob("noop", {}), ctx, uow, clock, TTL).job
    assert list(uow.store.jobs) == [job.id]
    assert [m.job_id for m in uow.store.outbox] == [job.id]
    assert uow.store.commits == 1


def test_idempotency_same_request_same_job_different_request_conflict(world: tuple) -> None:
    uow, clock, _, _ = world
    with _as(TenantId(uuid.uuid4())) as ctx:
        a = submit_job(SubmitJob("noop", {}, "k"), ctx, uow, clock, TTL)
        b = submit_job(SubmitJob("noop", {}, "k"), ctx, uow, clock, TTL)
        with pytest.raises(IdempotencyConflict):
            submit_job(SubmitJob("diagnostic", {}, "k"), ctx, uow, clock, TTL)
    assert a.created and not b.created and a.job.id == b.job.id
    assert len(uow.store.jobs) == 1


@settings(max_examples=60, deadline=None)
@given(
    fail_times=st.integers(0, DIAGNOSTIC.retry_policy.max_retries + 3), non_retryable=st.booleans()
)
def test_outcomes_follow_the_retry_policy(fail_times: int, non_retryable: bool) -> None:
    uow, clock, events = FakeUowFactory(), FakeClock(), FakeEvents()
    runner = JobRunner(uow, clock, events, rng=random.Random(0))
    tenant = TenantId(uuid.uuid4())
    with _as(tenant) as ctx:
        job = submit_job(
            SubmitJob("diagnostic", {"fail_times": fail_times, "non_retryable": non_retryable}),
            ctx,
            uow,
            clock,
            TTL,
        ).job
        outcomes = []
        for _ in range(10):
            result = runner.run(job.id, ctx, "worker@test")
            outcomes.append(result.outcome)
            if result.outcome is not Outcome.RETRY:
                break
    final = uow.store.jobs[job.id]
    # The budget comes from the job type's policy, whatever value it holds.
    budget = DIAGNOSTIC.retry_policy.max_retries
    if non_retryable:
        assert outcomes == [Outcome.DEAD] and final.status is JobStatus.DEAD
    elif fail_times <= budget:
        assert outcomes == [Outcome.RETRY] * fail_times + [Outcome.SUCCEEDED]
        assert final.status is JobStatus.SUCCEEDED and final.attempts == fail_times + 1
    else:
        assert outcomes == [Outcome.RETRY] * budget + [Outcome.DEAD]
        assert final.status is JobStatus.DEAD and final.attempts == budget + 1
    assert len(uow.store.letters) == int(final.status is JobStatus.DEAD)
    # A finished job delivered again is skipped, not run a second time.
    with _as(tenant) as ctx:
        assert runner.run(job.id, ctx, "worker@test").outcome is Outcome.SKIPPED


def test_use_cases_open_units_of_work_only_for_the_tenant_they_were_given(world: tuple) -> None:
    # What the fake's filters would hide proves nothing; which tenant the code asked for does.
    # (Row-level security itself is proved against Postgres in the integration tests.)
    uow, clock, events, runner = world
    tenant, other = TenantId(uuid.uuid4()), TenantId(uuid.uuid4())
    with _as(tenant) as ctx:
        job = submit_job(SubmitJob("diagnostic", {"emit_event": True}), ctx, uow, clock, TTL).job
        assert runner.run(job.id, ctx, "worker@test").outcome is Outcome.SUCCEEDED
    with _as(other) as ctx:
        runner.run(job.id, ctx, "worker@test")
    assert uow.opened_for.count(other) >= 1
    assert set(uow.opened_for) == {tenant, other}
    assert [e[0] for e in events.emitted] == [tenant]


def test_an_effect_the_ledger_already_holds_is_not_repeated(world: tuple) -> None:
    # The guard must ask the ledger and obey it: with the effect already recorded by an
    # earlier attempt, the action does not run; a new effect key runs once.
    uow, clock, _, _ = world
    tenant, job_id = TenantId(uuid.uuid4()), uuid.uuid4()
    uow.store.effects.add((tenant, job_id, "send-mail"))
    ran: list[str] = []
    with _as(tenant):
        guard = EffectGuard(job_id, TenantUnits(uow, tenant), clock)
        assert guard.once("send-mail", lambda: ran.append("send-mail")) is False
        assert guard.once("charge-card", lambda: ran.append("charge-card")) is True
    assert ran == ["charge-card"]


def test_effect_runs_once_across_deliveries(world: tuple) -> None:
    uow, clock, events, runner = world
    with _as(TenantId(uuid.uuid4())) as ctx:
        job = submit_job(
            SubmitJob("diagnostic", {"emit_event": True, "fail_times": 2}), ctx, uow, clock, TTL
        ).job
        while runner.run(job.id, ctx, "worker@test").outcome is Outcome.RETRY:
            pass
    assert len(events.emitted) == 1


def test_replay_gives_a_fresh_retry_budget_once(world: tuple) -> None:
    uow, clock, _, runner = world
    with _as(TenantId(uuid.uuid4())) as ctx:
        job = submit_job(SubmitJob("diagnostic", {"fail_times": 5}), ctx, uow, clock, TTL).job
        while runner.run(job.id, ctx, "worker@test").outcome is Outcome.RETRY:
            pass
        (letter,) = uow.store.letters.values()
        replay_dead_letter(letter.id, ctx, uow, clock)
        with pytest.raises(AlreadyReplayed):
            replay_dead_letter(letter.id, ctx, uow, clock)
        outcomes = [runner.run(job.id, ctx, "worker@test").outcome]
        while outcomes[-1] is Outcome.RETRY:
            outcomes.append(runner.run(job.id, ctx, "worker@test").outcome)
    assert outcomes == [Outcome.RETRY, Outcome.SUCCEEDED]  # attempts 5 fails, 6 succeeds
    assert uow.store.jobs[job.id].attempts == 6


@pytest.mark.parametrize(
    ("payload", "final"),
    [
        ({"fail_times": 2}, Outcome.SUCCEEDED),
        ({"fail_times": 1, "non_retryable": True}, Outcome.DEAD),
    ],
)
def test_the_after_finish_step_runs_once_when_the_job_is_over_for_good(
    world: tuple, payload: dict[str, object], final: Outcome
) -> None:
    uow, clock, _, runner = world
    ctx = as_tenant(TenantId(uuid.uuid4()))
    job = submit_job(SubmitJob("diagnostic", payload), ctx, uow, clock, TTL).job
    finished: list[tuple[uuid.UUID, JobStatus]] = []

    def after(_: object, run: JobRun) -> None:
        # The outcome is recorded before the step runs.
        finished.append((run.job_id, uow.store.jobs[run.job_id].status))

    outcomes = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(cast(dict[str, Any], AFTER_FINISH), "diagnostic", after)
        for _ in range(5):
            outcomes.append(runner.run(job.id, ctx, "worker@test").outcome)
            if outcomes[-1] is not Outcome.RETRY:
                break
        assert runner.run(job.id, ctx, "worker@test").outcome is Outcome.SKIPPED
    assert outcomes[-1] is final
    assert finished == [(job.id, JobStatus(final.value))]


def test_a_failing_after_finish_step_leaves_the_outcome(world: tuple) -> None:
    uow, clock, _, runner = world
    ctx = as_tenant(TenantId(uuid.uuid4()))
    job = submit_job(SubmitJob("diagnostic", {}), ctx, uow, clock, TTL).job

    def after(_: object, run: JobRun) -> None:
        raise OSError("storage unreachable")

    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(cast(dict[str, Any], AFTER_FINISH), "diagnostic", after)
        assert runner.run(job.id, ctx, "worker@test").outcome is Outcome.SUCCEEDED
    assert uow.store.jobs[job.id].status is JobStatus.SUCCEEDED
