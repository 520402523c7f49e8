"""Integration fixtures: real servers, the migrated schema, the platform's real processes."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from celery.app.trace import reset_worker_optimizations, setup_worker_optimizations

from devstack.local_servers import PostgresServer, RedisServer
from devstack.processes import PlatformEnv, PlatformProcess, start_relay, start_web, start_worker
from jobplatform.infrastructure.bootstrap import bootstrap
from jobplatform.infrastructure.container import Container
from jobplatform.infrastructure.db.migrate import upgrade
from jobplatform.infrastructure.settings import Settings
from support.mail_stack import MailStack, mail_stack
from support.tenants import TenantFixture, make_tenant
from support.tls import ServerCertificate, make_server_certificate

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A module-level pytestmark in a conftest marks nothing: mark each test collected here, so
    # `pytest -m integration` selects exactly these.
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    yield server
    server.close()


@pytest.fixture(scope="session")
def database_url(postgres_server: PostgresServer) -> str:
    url = postgres_server.create_app_database()
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def secrets_dir() -> Iterator[Path]:
    """The platform's secret store: tests write a tenant's secret at <dir>/<tenant id>/<ref>."""
    path = Path(tempfile.mkdtemp(prefix="jp-secrets-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def storage_root() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="jp-storage-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def webhook_tls() -> Iterator[ServerCertificate]:
    """A private CA the suite's workers trust for webhooks (JOBPLATFORM_WEBHOOK_CA_FILE), and
    a certificate it signed for 127.0.0.1."""
    path = Path(tempfile.mkdtemp(prefix="jp-webhook-tls-"))
    yield make_server_certificate(path)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def container(
    database_url: str, redis_server: RedisServer, secrets_dir: Path, storage_root: Path
) -> Iterator[Container]:
    """The platform wired as every process wires it (the composition root), in this process:
    the in-process tests drive its web app and Celery tasks directly."""
    c = bootstrap(
        Settings(
            database_url=database_url,
            redis_url=redis_server.url,
            secrets_dir=str(secrets_dir),
            storage_root=str(storage_root),
        )
    )
    yield c
    c.close()


@pytest.fixture
def in_process_worker(container: Container) -> Iterator[None]:
    """Run the platform's tasks in this process as a worker runs them.

    ``setup_worker_optimizations`` is what a worker installs at start: it lets a task class
    with its own ``__call__`` (``TenantTask``) see the delivery's request inside the task."""
    setup_worker_optimizations(container.celery, "in-process@local")
    yield
    reset_worker_optimizations(container.celery)


@pytest.fixture(scope="session")
def platform_env(
    database_url: str,
    redis_server: RedisServer,
    log_dir: Path,
    secrets_dir: Path,
    storage_root: Path,
    webhook_tls: ServerCertificate,
) -> PlatformEnv:
    return PlatformEnv(
        database_url=database_url,
        redis_url=redis_server.url,
        log_dir=log_dir,
        extra={
            "JOBPLATFORM_SECRETS_DIR": str(secrets_dir),
            "JOBPLATFORM_STORAGE_ROOT": str(storage_root),
            "JOBPLATFORM_WEBHOOK_CA_FILE": str(webhook_tls.ca),
            # Small, so the CSV import tests cross chunks and the upload limit cheaply.
            "JOBPLATFORM_IMPORT_MAX_BYTES": "300000",
            "JOBPLATFORM_IMPORT_CHUNK_ROWS": "100",
            # Small, so the scheduled prunes delete in several batches.
            "JOBPLATFORM_PRUNE_BATCH_SIZE": "3",
            # Small, so a report reads its rows over several pages.
            "JOBPLATFORM_REPORT_PAGE_ROWS": "4",
        },
    )


@pytest.fixture(scope="session")
def web(platform_env: PlatformEnv) -> Iterator[str]:
    proc, base = start_web(platform_env)
    yield base
    proc.stop()


@pytest.fixture(scope="session")
def platform(platform_env: PlatformEnv, web: str) -> Iterator[dict[str, PlatformProcess]]:
    """Relay plus one worker per queue, shared by the tests that only need jobs to run."""
    procs = {
        "relay": start_relay(platform_env),
        "default": start_worker(platform_env, "default", concurrency=2),
        "heavy": start_worker(platform_env, "heavy", concurrency=2),
        "scheduled": start_worker(platform_env, "scheduled", concurrency=1),
    }
    yield procs
    for p in procs.values():
        p.stop()


@pytest.fixture
def api(web: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web, timeout=30) as client:
        yield client


@pytest.fixture
def tenant(container: Container) -> TenantFixture:
    return make_tenant(container)


@pytest.fixture
def other_tenant(container: Container) -> TenantFixture:
    return make_tenant(container)


@pytest.fixture
def redis_client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def mail(postgres_server: PostgresServer, log_dir: Path) -> Iterator[MailStack]:
    """A platform of its own with a real SMTP server (tests/support/mail_stack.py)."""
    with mail_stack(postgres_server, log_dir) as stack:
        yield stack
