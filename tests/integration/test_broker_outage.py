"""Redis down: the API keeps accepting jobs, the outbox holds them, they run once it is back."""

from __future__ import annotations

from pathlib import Path

import httpx

from devstack.local_servers import PostgresServer, RedisServer
from devstack.processes import PlatformEnv, start_relay, start_web, start_worker
from devstack.wait import wait_for
from jobplatform.infrastructure.container import Container
from jobplatform.infrastructure.db.migrate import upgrade
from jobplatform.infrastructure.settings import Settings
from support.as_tenant import count_rows
from support.jobs import submit, wait_status
from support.tenants import make_tenant


def test_jobs_accepted_while_redis_is_down_run_after_it_returns(
    postgres_server: PostgresServer, log_dir: Path
) -> None:
    # A database of its own: the suite's shared relay would otherwise publish these outbox
    # rows to its own (running) broker, and the outage would test nothing.
    database_url = postgres_server.create_app_database(user="outagetest", db="outagetest")
    upgrade(database_url)
    broker = RedisServer().start()
    container = Container(Settings(database_url=database_url, redis_url=broker.url))
    tenant = make_tenant(container)
    env = PlatformEnv(database_url=database_url, redis_url=broker.url, log_dir=log_dir)
    web, base = start_web(env)
    relay = start_relay(env)
    worker = None
    try:
        with httpx.Client(base_url=base, timeout=30) as api:
            broker.stop()
            ids = []
            for _ in range(3):
                response = submit(api, tenant, "noop")
                assert response.status_code == 202, response.text
                ids.append(response.json()["job_id"])
            pending = count_rows(
                database_url,
                tenant,
                "outbox",
                "published_at IS NULL AND job_id = ANY(%s::uuid[])",
                (ids,),
            )
            assert pending == 3
            assert all(
                api.get(f"/v1/jobs/{i}", headers=tenant.headers).json()["status"] == "queued"
                for i in ids
            )
            assert relay.alive()
            wait_for(
                lambda: b"outbox_publish_failed" in relay.log_path.read_bytes(),
                timeout=30,
                what="the relay to notice the outage",
            )

            broker.start()
            worker = start_worker(env, "default")
            for job_id in ids:
                assert wait_status(api, tenant, job_id, "succeeded")["attempts"] == 1
    finally:
        for proc in (worker, relay, web):
            if proc is not None:
                proc.stop()
        container.close()
        broker.close()
