"""API keys with an expiry, on the suite's real web, Postgres and scheduled worker: a key is
refused once it has expired, `jobplatform keys list` tells live, expired and revoked keys
apart, and beat's prune deletes keys retired longer ago than the retention (in batches: the
suite's batch is 3 rows), never a live key or another tenant's."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta

import httpx
import psycopg

from jobplatform.application.api_keys import issue_api_key
from jobplatform.domain.job_types.prune_api_keys import PRUNE_API_KEYS
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.container import Container
from support.jobs import run_internal_job
from support.tenants import SECRETS_USED, TenantFixture

RETENTION = timedelta(days=30)  # JOBPLATFORM_API_KEY_RETENTION_SECONDS (the default)


def _sql(database_url: str, statement: str, *params: object) -> list[tuple[object, ...]]:
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def _key(container: Container, tenant: TenantId, expires_at: datetime | None = None) -> str:
    issued = issue_api_key(container.tenants, tenant, expires_at)
    SECRETS_USED.append(issued.plaintext)
    return issued.plaintext


def _key_id(plaintext: str) -> str:
    return plaintext.removeprefix("jpk_").split("_")[0]


def _status(api: httpx.Client, key: str) -> int:
    return api.get("/v1/jobs", headers={"Authorization": f"Bearer {key}"}).status_code


def test_an_expired_key_is_refused_and_a_key_not_yet_expired_works(
    api: httpx.Client, tenant: TenantFixture, container: Container, database_url: str
) -> None:
    now = container.clock.now()
    later = _key(container, tenant.id, now + timedelta(days=1))
    assert _status(api, later) == 200

    # Expired since a second ago; never presented before, so no web process remembers it.
    gone = _key(container, tenant.id, now + timedelta(days=1))
    _sql(
        database_url,
        "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE key_id = %s",
        _key_id(gone),
    )
    answer = api.get("/v1/jobs", headers={"Authorization": f"Bearer {gone}"})
    assert answer.status_code == 401, answer.text
    assert _status(api, tenant.api_key) == 200  # the tenant's key without expiry


def test_keys_list_shows_each_keys_state_and_no_secret(
    tenant: TenantFixture, container: Container, database_url: str
) -> None:
    now = container.clock.now()
    expiring = _key(container, tenant.id, now + timedelta(days=2))
    expired = _key(container, tenant.id, now + timedelta(days=2))
    _sql(
        database_url,
        "UPDATE api_keys SET expires_at = now() - interval '1 hour' WHERE key_id = %s",
        _key_id(expired),
    )
    revoked = _key(container, tenant.id)
    assert container.tenants.revoke_key(_key_id(revoked))

    listed = subprocess.run(
        [sys.executable, "-m", "jobplatform.interface.cli.main", "keys", "list", str(tenant.id)],
        env={**os.environ, "JOBPLATFORM_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    states = {line.split()[0]: line.split()[1] for line in listed.stdout.splitlines()[1:] if line}
    assert states[tenant.key_id] == "live"
    assert states[_key_id(expiring)] == "live"
    assert states[_key_id(expired)] == "expired"
    assert states[_key_id(revoked)] == "revoked"
    for plaintext in (tenant.api_key, expiring, expired, revoked):
        assert plaintext not in listed.stdout + listed.stderr


def test_keys_retired_longer_ago_than_the_retention_are_pruned(
    api: httpx.Client,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    container: Container,
    platform: object,
    database_url: str,
) -> None:
    old, recent = RETENTION + timedelta(days=1), RETENTION - timedelta(days=1)
    # (tenant, revoked this long ago, expired this long ago); None: not revoked / no expiry.
    retired = [
        *[(tenant, old, None)] * 4,
        *[(tenant, None, old)] * 3,
        (tenant, old, -timedelta(days=5)),  # revoked long ago, expiry still ahead
        (tenant, recent, None),
        (tenant, None, recent),
        (tenant, None, -timedelta(days=1)),  # live, expires tomorrow
        (other_tenant, old, None),
    ]
    for who, revoked_ago, expired_ago in retired:
        key_id = _key_id(_key(container, who.id))
        _sql(
            database_url,
            "UPDATE api_keys SET revoked_at = now() - %s::interval,"
            " expires_at = now() - %s::interval"
            " WHERE key_id = %s",
            revoked_ago,
            expired_ago,
            key_id,
        )

    def count(who: TenantFixture) -> int:
        rows = _sql(
            database_url, "SELECT count(*) FROM api_keys WHERE tenant_id = %s", who.id.value
        )
        return int(str(rows[0][0]))

    before, other_before = count(tenant), count(other_tenant)

    for _ in range(2):  # a second run finds nothing more to delete
        assert run_internal_job(api, container, tenant, PRUNE_API_KEYS.name) == "succeeded"
        assert count(tenant) == before - 8
    assert count(other_tenant) == other_before  # its key revoked long ago stays
    assert _status(api, tenant.api_key) == 200
