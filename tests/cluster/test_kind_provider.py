"""On a machine with a Docker engine, the same harness checks run on a kind cluster with real
pods (pytest-kubernetes's kind provider). Here they are skipped, with the reason."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from cluster.k8s_helpers import apply, deployment, new_namespace, ready_pods
from devstack.wait import wait_for


def _docker_engine() -> str | None:
    if shutil.which("kind") is None:
        return "the kind command is not installed"
    if shutil.which("docker") is None:
        return "no docker command"
    probe = subprocess.run(["docker", "info"], capture_output=True, text=True)
    if probe.returncode != 0:
        return "no Docker engine answers `docker info`: kind cannot run on this machine"
    return None


@pytest.mark.kind
@pytest.mark.k8s(provider="kind", cluster_name="jobplatform-kind")
def test_deployment_gets_real_ready_pods_on_kind(request: pytest.FixtureRequest) -> None:
    missing = _docker_engine()
    if missing:
        pytest.skip(missing)
    # Requested only now: building the kind manager fails where kind is not installed.
    k8s = request.getfixturevalue("k8s")
    k8s.create()
    ns = new_namespace(k8s)  # type: ignore[arg-type]
    apply(k8s, deployment("real", 2), namespace=ns)  # type: ignore[arg-type]
    wait_for(
        lambda: len(ready_pods(k8s, ns, "real")) == 2,
        timeout=300,  # type: ignore[arg-type]
        what="2 ready pods on kind",
    )
