"""A platform of its own for the fault tests: its own Postgres, broker Redis and events Redis,
so a test can restart or flush them without touching the rest of the suite.

Leases, the reconciler's pass and its bounds are short here, so a fault heals in seconds; the
visibility timeout keeps its default (an hour): recovery must never wait for it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
import redis

from devstack.local_servers import PostgresServer, RedisServer
from devstack.processes import (
    PlatformEnv,
    PlatformProcess,
    start_reconciler,
    start_relay,
    start_web,
    start_worker,
)
from jobplatform.domain.keys import tenant_key
from jobplatform.infrastructure.container import Container
from jobplatform.infrastructure.db.migrate import upgrade
from jobplatform.infrastructure.settings import Settings
from support.tenants import TenantFixture, make_tenant

FAST_RECOVERY = {
    "JOBPLATFORM_LEASE_SECONDS": "3",
    "JOBPLATFORM_RECONCILER_INTERVAL_SECONDS": "0.5",
    "JOBPLATFORM_RECONCILER_QUEUED_AFTER_SECONDS": "5",
    "JOBPLATFORM_RECONCILER_RETRY_GRACE_SECONDS": "2",
}


@dataclass
class Stack:
    """The servers and processes of one fault-test platform."""

    postgres: PostgresServer
    broker: RedisServer
    events: RedisServer
    env: PlatformEnv
    container: Container
    base_url: str
    procs: dict[str, PlatformProcess] = field(default_factory=dict)

    def start(self, name: str) -> PlatformProcess:
        """(Re)start one of the platform's processes by role name."""
        if name == "relay":
            proc = start_relay(self.env)
        elif name == "reconciler":
            proc = start_reconciler(self.env)
        else:
            queue = name.split("-")[0]
            proc = start_worker(self.env, queue, concurrency=2, name=f"{name}-{len(self.procs)}")
        self.procs[name] = proc
        return proc

    def effects(self, tenant: TenantFixture) -> Counter[str]:
        """How many times each job's effect (its diagnostic event) happened."""
        client = redis.Redis.from_url(self.events.url)
        try:
            raw = client.lrange(tenant_key(tenant.id, "events"), 0, -1)
        finally:
            client.close()
        return Counter(json.loads(item)["job_id"] for item in raw)

    def sql(self, query: str, *params: object) -> list[tuple[object, ...]]:
        """A query in the system scope (every tenant's rows)."""
        with psycopg.connect(self.env.database_url) as conn:
            conn.execute("SELECT set_config('jobplatform.scope', 'system', false)")
            return conn.execute(query, params).fetchall()  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def stack(log_dir: Path) -> Iterator[Stack]:
    postgres = PostgresServer().start()
    # No append-only file: these tests restart the broker to lose its messages on purpose.
    broker = RedisServer(append_only=False).start()
    events = RedisServer().start()
    url = postgres.create_app_database()
    upgrade(url)
    env = PlatformEnv(
        database_url=url,
        redis_url=broker.url,
        log_dir=log_dir,
        extra={**FAST_RECOVERY, "JOBPLATFORM_EVENTS_REDIS_URL": events.url},
    )
    container = Container(Settings(database_url=url, redis_url=broker.url))
    web, base = start_web(env)
    s = Stack(postgres, broker, events, env, container, base, {"web": web})
    try:
        for name in ("relay", "reconciler", "default", "heavy"):
            s.start(name)
        yield s
    finally:
        for proc in s.procs.values():
            proc.stop()
        container.close()
        for server in (postgres, broker, events):
            server.close()


@pytest.fixture
def stack_api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        yield client


@pytest.fixture
def stack_tenant(stack: Stack) -> TenantFixture:
    return make_tenant(stack.container)
