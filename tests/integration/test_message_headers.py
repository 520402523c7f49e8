"""Messages without a tenant never run; child tasks inherit the tenant headers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import redis

from devstack.processes import PlatformEnv
from devstack.wait import wait_for
from jobplatform.application import tenant_context
from jobplatform.domain.tenant import TenantContext, TenantId
from jobplatform.infrastructure.bootstrap import bootstrap
from jobplatform.infrastructure.celery.app import PlatformCelery
from jobplatform.infrastructure.redis.worker_keys import worker_key
from jobplatform.infrastructure.settings import Settings
from support.child_tasks import CHILD_TASK, PARENT_TASK


def platform_app(env: PlatformEnv) -> PlatformCelery:
    """The platform's Celery app as every process builds it, pointed at the test servers."""
    return bootstrap(Settings(database_url=env.database_url, redis_url=env.redis_url)).celery


def test_message_without_tenant_is_rejected_and_kept(
    platform: object, database_url: str, redis_client: redis.Redis, platform_env: object
) -> None:
    from celery import Celery

    app = Celery(broker=platform_env.redis_url)  # type: ignore[attr-defined]
    job_id = str(uuid.uuid4())
    app.send_task(
        "jobplatform.run_job",
        args=[job_id],
        queue="default",
        task_id=job_id,
        headers={"job_id": job_id, "request_id": "no-tenant-req"},
    )

    def rejected() -> tuple[object, ...] | None:
        with psycopg.connect(database_url) as conn:
            return conn.execute(
                "SELECT reason, headers FROM rejected_messages WHERE job_id = %s", (job_id,)
            ).fetchone()

    reason, headers = wait_for(rejected, timeout=30, what="the rejection to be recorded")
    assert "tenant_id" in str(reason)
    assert headers["request_id"] == "no-tenant-req"
    # The counter is written right after the rejection row: wait for it too.
    wait_for(
        lambda: int(redis_client.hget("jobplatform:queue:default:stats", "rejected") or 0) >= 1,
        timeout=10,
        what="the rejected counter",
    )
    log = platform["default"].log_path.read_text()  # type: ignore[index]
    line = next(
        json.loads(x)
        for x in log.splitlines()
        if x.startswith("{") and "message_rejected" in x and job_id in x
    )
    assert line["level"] == "error" and line["request_id"] == "no-tenant-req"
    app.close()


def test_a_child_task_published_by_a_running_job_carries_the_jobs_tenant(
    redis_client: redis.Redis, platform_env: PlatformEnv
) -> None:
    app = platform_app(platform_env)
    tests_dir = Path(__file__).resolve().parents[1]
    suffix = uuid.uuid4().hex[:8]
    parent_queue, child_queue = f"parent-{suffix}", f"child-{suffix}"  # nobody reads the child's
    hostname = f"child-probe-{suffix}@local"
    env = platform_env.environ(PYTHONPATH=str(tests_dir))
    with (platform_env.log_dir / f"child-probe-{suffix}.log").open("ab") as log:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "jobplatform.infrastructure.bootstrap",
                "worker",
                "--include",
                "support.child_tasks",
                "--queues",
                parent_queue,
                "--pool",
                "solo",
                "--hostname",
                hostname,
                "--without-gossip",
                "--without-mingle",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(lambda: redis_client.exists(worker_key(hostname)), timeout=60, what="the worker")
        tenant, job_id = TenantId(uuid.uuid4()), str(uuid.uuid4())
        with app.connection_for_write(platform_env.redis_url) as conn:
            app.send_task(
                PARENT_TASK,
                args=[child_queue],
                queue=parent_queue,
                connection=conn,
                headers={"tenant_id": str(tenant), "job_id": job_id, "request_id": "parent-req"},
            )
        raw = wait_for(lambda: redis_client.lpop(child_queue), timeout=60, what="the child")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    message = json.loads(raw)
    assert message["headers"]["task"] == CHILD_TASK
    assert message["headers"]["tenant_id"] == str(tenant)
    assert message["headers"]["request_id"] == "parent-req"


def test_task_published_inside_a_tenant_context_carries_its_headers(
    redis_client: redis.Redis, platform_env: object
) -> None:
    app = platform_app(platform_env)  # type: ignore[arg-type]
    tenant = TenantId(uuid.uuid4())
    queue = f"probe-{uuid.uuid4().hex[:8]}"  # nobody consumes it: the message stays readable
    with (
        app.connection_for_write(platform_env.redis_url) as conn,
        tenant_context.bound(TenantContext(tenant_id=tenant, request_id="parent-req")),
    ):
        app.send_task("jobplatform.run_job", args=["x"], queue=queue, connection=conn)
    raw = redis_client.lpop(queue)
    assert raw is not None
    headers = json.loads(raw)["headers"]
    assert headers["tenant_id"] == str(tenant)
    assert headers["request_id"] == "parent-req"
    assert float(headers["published_at"]) > 0


def test_message_with_a_malformed_job_id_is_rejected_not_crashed(
    platform: object, database_url: str, platform_env: object
) -> None:
    from celery import Celery

    app = Celery(broker=platform_env.redis_url)  # type: ignore[attr-defined]
    task_id = str(uuid.uuid4())
    app.send_task(
        "jobplatform.run_job",
        args=["x"],
        queue="default",
        task_id=task_id,
        headers={"tenant_id": str(uuid.uuid4()), "job_id": "not-a-uuid"},
    )

    def rejected() -> tuple[object, ...] | None:
        with psycopg.connect(database_url) as conn:
            return conn.execute(
                "SELECT reason FROM rejected_messages WHERE job_id = 'not-a-uuid'"
            ).fetchone()

    (reason,) = wait_for(rejected, timeout=30, what="the rejection to be recorded")
    assert "job_id" in str(reason)
    app.close()
