"""A worker stopped the way Kubernetes stops a pod in a rollout: a new worker is up first
(maxSurge 1), then the old one's main process gets SIGTERM (Celery's warm shutdown)."""

from __future__ import annotations

import os
import signal

import httpx
import pytest

from devstack.wait import wait_for
from support.jobs import submit, wait_status
from support.tenants import TenantFixture

from .conftest import Stack

pytestmark = pytest.mark.integration


def test_sigterm_lets_the_running_job_finish_once_while_the_new_worker_takes_the_rest(
    stack: Stack, stack_api: httpx.Client, stack_tenant: TenantFixture
) -> None:
    api, tenant = stack_api, stack_tenant
    old = stack.procs["heavy"]
    # Longer than the lease (3 s here): the stopping worker must keep renewing it, or the
    # reconciler would hand the job to the new worker as a second attempt.
    running = submit(api, tenant, "diagnostic", {"sleep_seconds": 5, "emit_event": True})
    running_id = running.json()["job_id"]
    wait_status(api, tenant, running_id, "running")
    stack.start("heavy")  # the new pod, Ready before the old one is stopped
    try:
        os.kill(old.pid, signal.SIGTERM)  # the kubelet signals the container's first process
        later = [
            submit(api, tenant, "diagnostic", {"sleep_seconds": 0.2, "emit_event": True}).json()[
                "job_id"
            ]
            for _ in range(4)
        ]
        wait_for(lambda: not old.alive(), timeout=60, what="the old worker to stop by itself")
        assert old.proc.returncode == 0, old.log_path.read_text()[-3000:]
        jobs = [wait_status(api, tenant, i, "succeeded") for i in [running_id, *later]]
        # Each ran once (the first on the old worker, to its end) and did its effect once.
        assert [job["attempts"] for job in jobs] == [1] * len(jobs)
        effects = stack.effects(tenant)
        assert [effects[job["id"]] for job in jobs] == [1] * len(jobs)
    finally:
        old.stop()
