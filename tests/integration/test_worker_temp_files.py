"""A worker stopped the normal way (SIGTERM, Celery's warm shutdown) removes the metrics
directory it made for its pool's children: a restarted pod or a laptop's /tmp does not fill
with one directory per worker run."""

from __future__ import annotations

import tempfile
from pathlib import Path

from devstack.processes import PlatformEnv, start_worker


def test_a_stopped_worker_removes_the_metrics_directory_it_made(
    platform_env: PlatformEnv,
) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="worker-tmp-", dir=platform_env.log_dir))
    worker = start_worker(platform_env, "default", TMPDIR=str(tmp))
    made = list(tmp.glob("jobplatform-metrics-*"))
    assert len(made) == 1, made  # the worker made its own, in its TMPDIR
    worker.stop()
    assert worker.exit_status() == 0
    assert not made[0].exists()
