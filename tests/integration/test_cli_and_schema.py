"""The CLI an operator uses for tenants and keys, and the schema the migrations build."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import httpx
from alembic import command

from devstack.local_servers import PostgresServer
from devstack.ports import free_port
from devstack.wait import wait_for
from jobplatform.infrastructure.db.migrate import alembic_config
from jobplatform.infrastructure.settings import Settings
from support.tenants import SECRETS_USED


def _cli(database_url: str, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JOBPLATFORM_DATABASE_URL": database_url, **settings}
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
    # The web remembers a key it checked for JOBPLATFORM_API_KEY_CACHE_SECONDS: the
    # revocation takes effect within that bound (plus slack for a loaded machine).
    wait_for(
        lambda: api.get("/v1/jobs", headers=auth).status_code == 401,
        timeout=Settings().api_key_cache_seconds + 20,
        interval=0.5,
        what="the revoked key to be refused",
    )
    again = _cli(database_url, "keys", "revoke", key_id)
    assert again.returncode == 1 and "no live key" in again.stderr


def test_cli_sets_and_shows_a_tenants_own_job_retention(database_url: str) -> None:
    name = f"cli-retention-{uuid.uuid4().hex[:8]}"
    created = _cli(database_url, "tenants", "create", name, "--job-retention-days", "7")
    assert created.returncode == 0, created.stderr
    tenant_id = created.stdout.strip()

    def shown() -> str:
        listed = _cli(database_url, "tenants", "list")
        assert listed.returncode == 0, listed.stderr
        [line] = [line for line in listed.stdout.splitlines() if line.startswith(tenant_id)]
        return line

    assert shown() == f"{tenant_id}\t{name}\tjob retention: 7 days"
    assert _cli(database_url, "tenants", "set-retention", tenant_id, "default").returncode == 0
    assert shown().endswith("job retention: default (30 days)")
    assert _cli(database_url, "tenants", "set-retention", tenant_id, "12").returncode == 0
    assert shown().endswith("job retention: 12 days")
    _one_line_error(
        _cli(database_url, "tenants", "set-retention", tenant_id, "0"), 1, "1 to 3650 days"
    )
    unknown = str(uuid.uuid4())
    _one_line_error(
        _cli(database_url, "tenants", "set-retention", unknown, "3"), 1, "no tenant with id"
    )


def test_cli_refuses_a_malformed_tenant_id(database_url: str) -> None:
    result = _cli(database_url, "keys", "issue", "not-a-uuid")
    assert result.returncode == 2 and "not a tenant id" in result.stderr


def _one_line_error(result: subprocess.CompletedProcess[str], status: int, words: str) -> None:
    assert result.returncode == status, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr  # one line, no traceback
    assert result.stderr.startswith("jobplatform: error: ") and words in result.stderr


def test_expected_cli_errors_are_one_line_with_a_nonzero_status(
    database_url: str, postgres_server: PostgresServer
) -> None:
    unknown = str(uuid.uuid4())
    _one_line_error(_cli(database_url, "keys", "issue", unknown), 1, f"no tenant with id {unknown}")
    _one_line_error(
        _cli(database_url, "tenants", "create", "x", JOBPLATFORM_PORT="abc"),
        2,
        "JOBPLATFORM_PORT",
    )
    _one_line_error(
        _cli(
            database_url,
            "tenants",
            "create",
            "x",
            JOBPLATFORM_VISIBILITY_TIMEOUT_SECONDS="10",
            JOBPLATFORM_TASK_TIME_LIMIT_SECONDS="20",
        ),
        2,
        "JOBPLATFORM_VISIBILITY_TIMEOUT_SECONDS must exceed",
    )
    nobody_listens = f"postgresql://jobplatform@127.0.0.1:{free_port()}/jobplatform"
    _one_line_error(_cli(nobody_listens, "tenants", "create", "x"), 1, "cannot reach Postgres")
    empty = postgres_server.create_app_database(user="cli_empty", db="cli_empty")
    _one_line_error(_cli(empty, "tenants", "create", "x"), 1, "run `jobplatform migrate`")
    # A bad setting does not stop --help.
    assert _cli(database_url, "--help", JOBPLATFORM_PORT="abc").returncode == 0


def test_migrations_build_exactly_the_declared_schema(database_url: str) -> None:
    # Fails when tables.py and the migrations drift apart.
    command.check(alembic_config(database_url))
