"""Cluster tests take their cluster from pytest-kubernetes's `k8s` fixture.

Here that is the local control plane (real kube-apiserver, controller-manager, scheduler and
kwok nodes, built from Go modules), started once per session. On a machine with Docker,
`pytest --k8s-provider kind -m cluster` runs the same tests on kind with real pods.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_kubernetes.providers.base import AClusterManager

from cluster.harness.controlplane import ControlPlane, provide_binaries
from support.k8s_option import LOCAL_CLUSTER_KUBECONFIG

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE not in Path(str(item.fspath)).parents:
            continue
        item.add_marker(pytest.mark.cluster)
        if item.get_closest_marker("k8s") is None:
            # One cluster for the whole run: pytest-kubernetes keeps (and caches) it.
            item.add_marker(pytest.mark.k8s(keep=True))


@pytest.fixture(scope="session")
def k8s_bin() -> Path:
    """Pinned kubectl and helm (and the control plane binaries), first on PATH."""
    bin_dir = provide_binaries()
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    return bin_dir


@pytest.fixture(scope="session")
def control_plane(
    request: pytest.FixtureRequest, k8s_bin: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ControlPlane | None]:
    target = request.config.stash.get(LOCAL_CLUSTER_KUBECONFIG, None)
    if target is None:  # another provider (kind, ...) was asked for on the command line
        yield None
        return
    plane = ControlPlane(tmp_path_factory.mktemp("control-plane"), bin_dir=k8s_bin).up()
    # pytest-kubernetes deletes the kubeconfig it is given: it gets a throwaway copy.
    shutil.copy(plane.admin_kubeconfig, target)
    yield plane
    plane.down()


@pytest.fixture
def cluster(
    request: pytest.FixtureRequest, control_plane: ControlPlane | None, k8s_bin: Path
) -> AClusterManager:
    target = request.config.stash.get(LOCAL_CLUSTER_KUBECONFIG, None)
    if control_plane is not None and target is not None and not target.exists():
        shutil.copy(control_plane.admin_kubeconfig, target)
    k8s: AClusterManager = request.getfixturevalue("k8s")
    if k8s.kubeconfig is None or not k8s.kubeconfig.exists():
        k8s.create()
    return k8s
