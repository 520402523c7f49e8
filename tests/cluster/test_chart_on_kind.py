"""On a machine with a Docker engine, the chart's install test on a kind cluster
(pytest-kubernetes's kind provider): the images are built into Docker and copied into the kind
node with `kind load docker-image`, then the same checks as on the real node run against the
release (every process Ready, the migration hook first, the workers' exact rights, jobs
succeeding on each queue). Here it is skipped, with the reason."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from cluster.chart_release import ROOT, installed_chart
from cluster.real_node_workloads import IMAGES
from cluster.test_chart_on_real_node import (
    test_every_process_runs_and_the_migration_hook_ran_first as check_processes_and_migration,
)
from cluster.test_chart_on_real_node import (
    test_jobs_through_the_web_service_succeed_on_each_queue as check_jobs_on_each_queue,
)
from cluster.test_chart_on_real_node import (
    test_worker_pods_run_with_exactly_the_platform_accounts_rights as check_worker_rights,
)
from cluster.test_kind_provider import _docker_engine

pytestmark = pytest.mark.timeout(1800)

# kind's node: images are loaded, never pulled; no node labels or taints to match; one
# operator replica and small requests, for a laptop.
KIND_VALUES = {
    "image": {"pullPolicy": "Never"},
    "bundled": {"pullPolicy": "Never"},
    "operator": {"replicas": 1, "image": {"pullPolicy": "Never"}},
    "web": {"replicas": 1, "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}}},
}


def _load_images(kind_cluster: object) -> None:
    for group in ("services", "operator", "datastores"):
        subprocess.run(
            ["bash", str(ROOT / "services" / "images" / "build.sh"), group],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    for ref in IMAGES.values():
        kind_cluster.load_image(ref)  # type: ignore[attr-defined]


@pytest.mark.kind
@pytest.mark.k8s(provider="kind", cluster_name="jobplatform-kind")
def test_chart_installs_and_runs_jobs_on_kind(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    missing = _docker_engine()
    if missing:
        pytest.skip(missing)
    # Requested only now: building the kind manager fails where kind is not installed.
    k8s = request.getfixturevalue("k8s")
    k8s.create()
    _load_images(k8s)
    cluster_values = tmp_path / "kind-values.yaml"
    cluster_values.write_text(json.dumps(KIND_VALUES))
    with installed_chart(k8s, tmp_path, cluster_values) as release:
        check_processes_and_migration(release)
        check_worker_rights(release)
        check_jobs_on_each_queue(release)
