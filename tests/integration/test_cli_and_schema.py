"""The CLI an operator uses for tenants and keys, and the schema the migrations build."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
from alembic import command

from jobplatform.infrastructure.db.migrate import alembic_config
from support.tenants import SECRETS_USED


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JOBPLATFORM_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "jobplatform.interface.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_creates_tenants_and_issues_and_revokes_keys(
    database_url: str, api: httpx.Client
) -> None:
    created = _cli(database_url, "tenants", "create", "cli-tenant")
    assert created.returncode == 0, created.stderr
    tenant_id = created.stdout.strip()

    issued = _cli(database_url, "keys", "issue", tenant_id)
    assert issued.returncode == 0, issued.stderr
    key = issued.stdout.strip()
    SECRETS_USED.append(key)
    key_id = issued.stderr.split("key id: ")[1].split()[0]
    assert key.startswith("jpk_") and "shown once" in issued.stderr
    auth = {"Authorization": f"Bearer {key}"}
    assert api.get("/v1/jobs", headers=auth).status_code == 200

    assert _cli(database_url, "keys", "revoke", key_id).returncode == 0
    assert api.get("/v1/jobs", headers=auth).status_code == 401
    again = _cli(database_url, "keys", "revoke", key_id)
    assert again.returncode == 1 and "no live key" in again.stderr


def test_cli_refuses_a_malformed_tenant_id(database_url: str) -> None:
    result = _cli(database_url, "keys", "issue", "not-a-uuid")
    assert result.returncode == 2 and "not a tenant id" in result.stderr


def test_migrations_build_exactly_the_declared_schema(database_url: str) -> None:
    # Fails when tables.py and the migrations drift apart.
    command.check(alembic_config(database_url))
