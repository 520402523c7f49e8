"""Exactly one beat fires: two beat processes on one schedule publish each tick once."""

from __future__ import annotations

import json
from pathlib import Path

import redis

from devstack.local_servers import RedisServer
from devstack.processes import PlatformEnv, start_beat
from devstack.wait import wait_for
from jobplatform.application.queries import list_jobs
from jobplatform.application.schedule import FanOut, fan_out
from jobplatform.domain.tenant import TenantContext
from jobplatform.infrastructure.container import Container
from support.tenants import make_tenant


def test_two_beats_fire_each_tick_once(database_url: str, log_dir: Path) -> None:
    broker = RedisServer().start()  # its own Redis: nothing consumes the scheduled queue
    env = PlatformEnv(
        database_url=database_url,
        redis_url=broker.url,
        log_dir=log_dir,
        extra={"JOBPLATFORM_PRUNE_SCHEDULE_SECONDS": "1"},
    )
    client = redis.Redis.from_url(broker.url)
    beats = [start_beat(env, "beat-a"), start_beat(env, "beat-b")]
    try:
        wait_for(lambda: client.llen("scheduled") >= 6, timeout=60, what="six ticks")
        # Three more ticks: a second, unlocked beat would have fired on them too.
        wait_for(lambda: client.llen("scheduled") >= 9, timeout=60, what="nine ticks")
        assert all(b.alive() for b in beats)
        messages = [json.loads(m) for m in client.lrange("scheduled", 0, -1)]
    finally:
        for b in beats:
            b.stop()
        client.close()
        broker.close()
    origins = {m["headers"]["origin"] for m in messages}
    assert len(origins) == 1, f"more than one beat fired: {origins}"
    assert {m["headers"]["task"] for m in messages} == {"jobplatform.schedule_fan_out"}


def test_a_tick_fired_twice_creates_one_job_per_tenant(container: Container) -> None:
    tenants = [make_tenant(container) for _ in range(2)]
    cmd = FanOut(
        schedule_name="test-tick", job_type="maintenance.prune_idempotency_keys", slot=424242
    )
    first = fan_out(cmd, container.uow_factory, container.clock, container.idempotency_ttl)
    second = fan_out(cmd, container.uow_factory, container.clock, container.idempotency_ttl)
    assert first >= len(tenants)  # every tenant of the database, these two among them
    assert second == 0
    for t in tenants:
        jobs = list_jobs(
            TenantContext(tenant_id=t.id),
            container.uow_factory,
            status=None,
            job_type="maintenance.prune_idempotency_keys",
            limit=10,
            before=None,
        )
        assert len(jobs) == 1


def test_standby_beat_takes_over_when_the_active_one_dies(database_url: str, log_dir: Path) -> None:
    broker = RedisServer().start()
    env = PlatformEnv(
        database_url=database_url,
        redis_url=broker.url,
        log_dir=log_dir,
        extra={
            "JOBPLATFORM_PRUNE_SCHEDULE_SECONDS": "1",
            "JOBPLATFORM_BEAT_LOCK_TIMEOUT_SECONDS": "3",
        },
    )
    client = redis.Redis.from_url(broker.url)
    beats = {name: start_beat(env, name) for name in ("beat-x", "beat-y")}

    def origins() -> set[str]:
        return {json.loads(m)["headers"]["origin"] for m in client.lrange("scheduled", 0, -1)}

    try:
        wait_for(lambda: client.llen("scheduled") >= 2, timeout=60, what="the first ticks")
        (active_origin,) = origins()
        active = next(b for b in beats.values() if active_origin.startswith(f"gen{b.pid}@"))
        active.kill()
        wait_for(lambda: len(origins()) == 2, timeout=60, what="the standby to fire")
        assert all(b.alive() for b in beats.values() if b is not active)
    finally:
        for b in beats.values():
            b.stop()
        client.close()
        broker.close()
