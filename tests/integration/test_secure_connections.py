"""The production shape of both connections: Redis over TLS only, as an ACL user, with the
default user disabled; Postgres with a password-protected application role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import redis

from devstack.local_servers import PostgresServer
from devstack.processes import (
    PlatformEnv,
    start_beat,
    start_reconciler,
    start_relay,
    start_web,
    start_worker,
)
from devstack.wait import wait_for
from jobplatform.infrastructure.container import Container
from jobplatform.infrastructure.db.migrate import upgrade
from jobplatform.infrastructure.settings import Settings
from support.jobs import submit, wait_status
from support.secure_servers import TlsRedisServer, require_password
from support.tenants import SECRETS_USED, make_tenant

pytestmark = pytest.mark.integration

REDIS_PASSWORD = "redis-acl-password-7d1c"
DB_PASSWORD = "db-role-password-4e2a"


@pytest.fixture(scope="module")
def secure_servers() -> Iterator[tuple[TlsRedisServer, str]]:
    SECRETS_USED.extend([REDIS_PASSWORD, DB_PASSWORD])
    broker = TlsRedisServer("jobplatform", REDIS_PASSWORD).start()
    postgres = PostgresServer().start()
    try:
        url = require_password(postgres, "jobplatform_app", DB_PASSWORD)
        yield broker, url
    finally:
        broker.close()
        postgres.close()


def test_servers_refuse_what_the_platform_must_not_rely_on(
    secure_servers: tuple[TlsRedisServer, str],
) -> None:
    broker, url = secure_servers
    anonymous = redis.Redis(
        host="127.0.0.1", port=broker.port, ssl=True, ssl_ca_certs=str(broker.certs.ca)
    )
    with pytest.raises(redis.AuthenticationError):
        anonymous.ping()  # the default user is disabled
    plain = redis.Redis(host="127.0.0.1", port=broker.port, socket_timeout=2)
    with pytest.raises(redis.ConnectionError):
        plain.ping()  # no plain-text connection
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(url.replace(DB_PASSWORD, "wrong-password"), connect_timeout=5)


def test_platform_runs_jobs_over_tls_redis_and_password_postgres(
    secure_servers: tuple[TlsRedisServer, str], log_dir: Path
) -> None:
    broker, url = secure_servers
    upgrade(url)
    env = PlatformEnv(database_url=url, redis_url=broker.url, log_dir=log_dir)
    container = Container(Settings(database_url=url, redis_url=broker.url))
    procs = []
    try:
        web, base = start_web(env)
        procs = [web, start_relay(env), start_reconciler(env), start_worker(env, "default")]
        beat = start_beat(env, "beat-tls", JOBPLATFORM_PRUNE_SCHEDULE_SECONDS="1")
        procs.append(beat)
        tenant = make_tenant(container)
        with httpx.Client(base_url=base, timeout=30) as api:
            job_id = submit(api, tenant, "noop").json()["job_id"]
            assert wait_status(api, tenant, job_id, "succeeded")["attempts"] == 1
        # Beat holds its lock and fires through the same TLS connection.
        wait_for(
            lambda: b"Sending due task" in beat.log_path.read_bytes(),
            timeout=60,
            what="beat to fire over TLS",
        )
        client = broker.client()
        try:
            assert client.exists("jobplatform:broker-marker")  # the reconciler got through
        finally:
            client.close()
        for proc in procs:
            assert proc.alive(), proc.log_path.read_text()[-2000:]
    finally:
        for proc in procs:
            proc.stop()
        container.close()
