"""Cluster tests take their cluster from pytest-kubernetes's `k8s` fixture.

Here that is the local control plane (real kube-apiserver, controller-manager, scheduler and
kwok nodes, built from Go modules), started once per session, with one real node (containerd,
kubelet, kube-proxy, CoreDNS) where the machine can run containers. On a machine with Docker,
`pytest --k8s-provider kind -m cluster` runs the same tests on kind with real pods.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from pytest_kubernetes.providers.base import AClusterManager

from cluster.chart_release import Installed, installed_chart
from cluster.harness.controlplane import ControlPlane, provide_binaries
from cluster.harness.node_support import REQUIRE_ENV, real_node_required
from cluster.harness.real_node import RealNode
from cluster.k8s_helpers import AdminCluster
from cluster.real_node_workloads import IMAGES
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


@pytest.fixture(scope="session")
def real_node(control_plane: ControlPlane | None) -> RealNode:
    """The cluster's real node; skips with the exact reason where it cannot run (a failure
    instead when JOBPLATFORM_REQUIRE_REAL_NODE is set, as in CI)."""
    if control_plane is None:
        pytest.skip("the real node belongs to the local cluster; another provider was chosen")
    if control_plane.node is None:
        reason = f"no real node: {control_plane.no_real_node_reason}"
        if real_node_required():
            pytest.fail(f"{reason} ({REQUIRE_ENV} is set: this machine must run it)")
        pytest.skip(reason)
    node: RealNode = control_plane.node
    return node


@pytest.fixture(scope="session")
def real_node_images(real_node: RealNode, control_plane: ControlPlane) -> dict[str, str]:
    """The platform's images, built (or taken from the cache) and loaded into the node."""
    repo = HERE.parents[1]
    for group in ("services", "operator", "datastores"):
        subprocess.run(
            ["bash", str(repo / "services" / "images" / "build.sh"), group],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    loaded = control_plane.load_images()
    missing = [ref for ref in IMAGES.values() if ref not in loaded]
    assert not missing, f"images not in the node after loading: {missing}"
    return dict(IMAGES)


@pytest.fixture(scope="session")
def installed(
    control_plane: ControlPlane | None,
    real_node_images: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Installed]:
    """The chart installed once on the real node for the install, upgrade and rollback tests:
    an install takes minutes on two cores."""
    assert control_plane is not None
    cluster = cast(AClusterManager, AdminCluster(control_plane.admin_kubeconfig))
    with installed_chart(cluster, tmp_path_factory.mktemp("chart")) as release:
        yield release
