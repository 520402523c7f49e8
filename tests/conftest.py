"""Shared fixtures: real Redis and Postgres for the whole run, in temporary directories."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.k8s_option import LOCAL_CLUSTER_KUBECONFIG


@pytest.fixture(scope="session")
def log_dir() -> Iterator[Path]:
    """Every platform process's log; kept after the run when JOBPLATFORM_TEST_KEEP_LOGS is set."""
    path = Path(tempfile.mkdtemp(prefix="jp-logs-"))
    yield path
    if not os.environ.get("JOBPLATFORM_TEST_KEEP_LOGS"):
        shutil.rmtree(path, ignore_errors=True)


def pytest_configure(config: pytest.Config) -> None:
    """Without --k8s-provider, the cluster tests run on the local control plane that the
    session starts (tests/cluster/harness): pytest-kubernetes takes it as an 'external'
    cluster through a kubeconfig path that the session fixture fills in."""
    if getattr(config.option, "k8s_provider", "unset") is None:
        kubeconfig = Path(tempfile.mkdtemp(prefix="jp-k8s-")) / "kubeconfig"
        config.option.k8s_provider = "external"
        config.option.k8s_kubeconfig = str(kubeconfig)
        config.stash[LOCAL_CLUSTER_KUBECONFIG] = kubeconfig
