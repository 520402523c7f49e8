"""An idle relay sends Postgres nothing between notifications, and wakes on the next one."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import datetime

import psycopg
import pytest
from redis import Redis

from devstack.local_servers import RedisServer
from devstack.wait import wait_for
from jobplatform.application import tenant_context
from jobplatform.application.submit_job import SubmitJob, submit_job
from jobplatform.domain.tenant import TenantContext
from jobplatform.infrastructure.bootstrap import bootstrap
from jobplatform.infrastructure.container import Container
from jobplatform.infrastructure.relay_loop import run_relay
from jobplatform.infrastructure.settings import Settings
from support.tenants import make_tenant

POLL = 0.05  # the relay's wake-up interval: many wake-ups within the observed window


def _activity(database_url: str, name: str, idle_only: bool = False) -> dict[int, datetime]:
    """Each backend of ``name``: when it last changed state (it does on every query). With
    ``idle_only``, nothing unless every one of them is idle (none in a query or transaction)."""
    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid, state_change, state FROM pg_stat_activity WHERE application_name = %s",
            (name,),
        ).fetchall()
    if idle_only and any(state != "idle" for _, _, state in rows):
        return {}
    return {pid: changed for pid, changed, _ in rows}


@pytest.fixture
def relay(database_url: str, redis_server: RedisServer) -> Iterator[tuple[Container, str]]:
    name = f"relay-{uuid.uuid4().hex[:8]}"
    sep = "&" if "?" in database_url else "?"
    c = bootstrap(
        Settings(
            database_url=f"{database_url}{sep}application_name={name}",
            redis_url=redis_server.url,
            relay_poll_seconds=POLL,
        )
    )
    stop = threading.Event()
    thread = threading.Thread(target=run_relay, args=(c, c.celery, stop), daemon=True)
    thread.start()
    yield c, name
    stop.set()
    thread.join(10)
    c.close()


def test_idle_relay_sends_no_query_until_a_commit_notifies_it(
    relay: tuple[Container, str], database_url: str, redis_server: RedisServer
) -> None:
    c, name = relay
    # Started: the listener and the first pass's connection, both done with their work.
    first = wait_for(
        lambda: (a := _activity(database_url, name, idle_only=True)) and len(a) >= 2 and a,
        what="the relay's first pass",
    )

    # The start-up pass may still send its last statement just after both connections first
    # show idle: take the baseline once the activity holds still over a few poll intervals.
    def settled() -> dict[int, datetime] | None:
        seen = _activity(database_url, name)
        threading.Event().wait(3 * POLL)
        return seen if _activity(database_url, name) == seen else None

    before = wait_for(settled, what="the relay to settle after its first pass") or first
    # Many poll intervals go by; each would have been a query before.
    client = Redis.from_url(redis_server.url)
    wakeups = 40
    for _ in range(wakeups):
        client.ping()
        threading.Event().wait(POLL)
    assert _activity(database_url, name) == before

    tenant = make_tenant(c)
    ctx = TenantContext(tenant_id=tenant.id, request_id="relay-idle")
    with tenant_context.bound(ctx):
        submit_job(SubmitJob("noop", {}), ctx, c.uow_factory, c.clock, c.idempotency_ttl)
    # The commit's notification wakes it: its connection ran a pass.
    wait_for(
        lambda: any(
            changed != before.get(pid) for pid, changed in _activity(database_url, name).items()
        ),
        what="the relay to run a pass after the notification",
    )
