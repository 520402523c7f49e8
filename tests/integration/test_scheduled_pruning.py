"""The scheduled prunes on the real scheduled worker and Postgres: expired idempotency keys
and dead letters past their retention go, in batches (the suite's batch is 3 rows); live
ones, and other tenants' rows, stay. Running a prune again deletes nothing more."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import psycopg

from jobplatform.application.records import DeadLetter, IdempotencyRecord
from jobplatform.domain.job_types.prune_dead_letters import PRUNE_DEAD_LETTERS
from jobplatform.domain.job_types.prune_idempotency_keys import PRUNE_IDEMPOTENCY_KEYS
from jobplatform.infrastructure.container import Container
from support.jobs import run_internal_job
from support.tenants import TenantFixture
from support.unpublished_jobs import add_unpublished_job

RETENTION = timedelta(days=30)  # JOBPLATFORM_DEAD_LETTER_RETENTION_SECONDS (the default)


def _rows(database_url: str, table: str, tenant: TenantFixture) -> int:
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("SELECT set_config('jobplatform.scope', 'system', false)")
        row = conn.execute(
            f"SELECT count(*) FROM {table} WHERE tenant_id = %s",  # noqa: S608 (a constant)
            (tenant.id.value,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def _letters(container: Container, tenant: TenantFixture, ages: list[timedelta]) -> None:
    now = container.clock.now()
    for age in ages:
        job = add_unpublished_job(container, tenant.id, "noop", {})
        with container.uow_factory.for_tenant(tenant.id) as uow:
            uow.dead_letters.add(
                DeadLetter(
                    id=uuid.uuid4(),
                    tenant_id=tenant.id,
                    job_id=job.id,
                    job_type=job.type,
                    reason="non_retryable",
                    attempts=1,
                    error_class="Test",
                    created_at=now - age,
                )
            )
            uow.commit()


def test_dead_letters_past_their_retention_are_pruned_in_batches(
    api: httpx.Client,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    container: Container,
    platform: object,
    database_url: str,
) -> None:
    old, recent = RETENTION + timedelta(days=1), RETENTION - timedelta(days=1)
    _letters(container, tenant, [old] * 7 + [recent] * 2)
    _letters(container, other_tenant, [old])
    assert _rows(database_url, "dead_letters", tenant) == 9

    assert run_internal_job(api, container, tenant, PRUNE_DEAD_LETTERS.name) == "succeeded"
    assert _rows(database_url, "dead_letters", tenant) == 2
    assert _rows(database_url, "dead_letters", other_tenant) == 1
    assert run_internal_job(api, container, tenant, PRUNE_DEAD_LETTERS.name) == "succeeded"
    assert _rows(database_url, "dead_letters", tenant) == 2


def test_expired_idempotency_keys_are_pruned_in_batches(
    api: httpx.Client,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    container: Container,
    platform: object,
    database_url: str,
) -> None:
    now = container.clock.now()
    for who, expiries in (
        (tenant, [now - timedelta(minutes=1)] * 7 + [now + timedelta(days=1)] * 2),
        (other_tenant, [now - timedelta(minutes=1)]),
    ):
        with container.uow_factory.for_tenant(who.id) as uow:
            for expires_at in expiries:
                record = IdempotencyRecord(
                    key=f"k-{uuid.uuid4().hex}",
                    fingerprint="0" * 64,
                    job_id=uuid.uuid4(),
                    expires_at=expires_at,
                )
                uow.idempotency.claim(record, now)
            uow.commit()
    assert _rows(database_url, "idempotency_keys", tenant) == 9

    # The prune's own submission claims no key: it is the tenant's two live keys that stay.
    assert run_internal_job(api, container, tenant, PRUNE_IDEMPOTENCY_KEYS.name) == "succeeded"
    assert _rows(database_url, "idempotency_keys", tenant) == 2
    assert _rows(database_url, "idempotency_keys", other_tenant) == 1
