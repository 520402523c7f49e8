"""`helm install` of the chart on the real node, as a platform team would run it: every
process's pods really run from the images built here (web, relay, reconciler, three worker
pools, beat, the operator, the bundled Redis and Postgres), the migration hook has run, jobs
submitted through the web Service succeed on each queue, and the operator grows the heavy pool
under a surge of jobs and shrinks it again."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from pytest_kubernetes.providers.base import AClusterManager

from cluster.harness.controlplane import ControlPlane
from cluster.k8s_helpers import AdminCluster, kubectl, kubectl_json, new_namespace
from cluster.real_node_workloads import IN_POD_HTTP
from devstack.wait import wait_for

pytestmark = pytest.mark.timeout(1500)

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "jobplatform"
RELEASE = "jp"
COMPONENTS = (
    "web",
    "relay",
    "reconciler",
    "worker-default",
    "worker-heavy",
    "worker-scheduled",
    "beat",
    "operator",
    "redis",
    "postgres",
)
# Short windows so the test sees the heavy pool grow and shrink in minutes, and beat's prune
# job on the scheduled queue soon after the start.
TEST_VALUES: dict[str, Any] = {
    "config": {"JOBPLATFORM_PRUNE_SCHEDULE_SECONDS": 15},
    "workers": {
        pool: {"resources": {"requests": {"cpu": "10m", "memory": "64Mi"}}}
        for pool in ("default", "heavy", "scheduled")
    },
}
TEST_VALUES["workers"]["heavy"]["autoscaling"] = {
    "minReplicas": 1,
    "maxReplicas": 3,
    "backlogPerReplica": 1,
    "pollIntervalSeconds": 3,
    "behaviour": {
        "scaleDown": {"stabilisationWindowSeconds": 10},
        "cooldownToZeroSeconds": 10,
    },
}


@dataclass(frozen=True)
class Installed:
    cluster: AClusterManager
    namespace: str
    api_key: str

    def deploy(self, component: str) -> str:
        return f"deploy/{RELEASE}-jobplatform-{component}"

    def exec_web(self, *args: str) -> str:
        return kubectl(self.cluster, "-n", self.namespace, "exec", self.deploy("web"), "--", *args)

    def http(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        url = f"http://{RELEASE}-jobplatform-web:8000{path}"
        extra = [json.dumps(body)] if body is not None else []
        out = self.exec_web("python3", "-c", IN_POD_HTTP, method, url, self.api_key, *extra)
        return json.loads(out.strip().splitlines()[-1])

    def submit(self, job_type: str, payload: dict[str, Any]) -> str:
        accepted = self.http("POST", "/v1/jobs", {"type": job_type, "payload": payload})
        assert accepted["status"] == 202, accepted
        return str(accepted["body"]["job_id"])

    def status(self, job_id: str) -> str:
        return str(self.http("GET", f"/v1/jobs/{job_id}")["body"]["status"])

    def sql(self, query: str) -> str:
        return kubectl(
            self.cluster,
            "-n",
            self.namespace,
            "exec",
            self.deploy("postgres"),
            "--",
            "psql",
            "-h",
            "/tmp",
            "-U",
            "postgres",
            "-d",
            "jobplatform",
            "-Atc",
            query,
        ).strip()

    def ready_replicas(self, component: str) -> int:
        name = f"{RELEASE}-jobplatform-{component}"
        dep = kubectl_json(self.cluster, "get", "deployment", name, "-n", self.namespace)
        return int(dep["status"].get("readyReplicas") or 0)


def _helm(cluster: AClusterManager, *args: str) -> str:
    result = subprocess.run(
        ["helm", "--kubeconfig", str(cluster.kubeconfig), *args], capture_output=True, text=True
    )
    assert result.returncode == 0, f"helm {args[0]}: {result.stderr}"
    return result.stdout


def _ready_components(cluster: AClusterManager, ns: str) -> set[str]:
    pods = kubectl_json(cluster, "get", "pods", "-n", ns)["items"]
    ready = set()
    for pod in pods:
        conditions = {c["type"]: c["status"] for c in pod["status"].get("conditions", [])}
        if conditions.get("Ready") == "True" and not pod["metadata"].get("deletionTimestamp"):
            ready.add(pod["metadata"]["labels"].get("app.kubernetes.io/component"))
    return ready


@pytest.fixture(scope="module")
def installed(
    control_plane: ControlPlane | None, real_node_images: dict[str, str], tmp_path_factory: Any
) -> Iterator[Installed]:
    assert control_plane is not None
    cluster = cast(AClusterManager, AdminCluster(control_plane.admin_kubeconfig))
    ns = new_namespace(cluster)
    values = tmp_path_factory.mktemp("chart") / "test-values.yaml"
    values.write_text(json.dumps(TEST_VALUES))
    _helm(
        cluster,
        "install",
        RELEASE,
        str(CHART),
        "-n",
        ns,
        "-f",
        str(CHART / "ci" / "local-cluster-values.yaml"),
        "-f",
        str(values),
        "--wait",
        "--timeout",
        "15m",
    )
    wait_for(
        lambda: set(COMPONENTS) <= _ready_components(cluster, ns),
        timeout=300,
        interval=3,
        what="every component's pod to be Ready",
    )
    web = f"deploy/{RELEASE}-jobplatform-web"
    tenant = kubectl(
        cluster, "-n", ns, "exec", web, "--", "jobplatform", "tenants", "create", "acme"
    )
    key = kubectl(
        cluster, "-n", ns, "exec", web, "--", "jobplatform", "keys", "issue", tenant.strip()
    )
    yield Installed(cluster, ns, key.strip().splitlines()[-1])
    # Not waited for: the heavy pool's pods have an 11-minute grace period for their tasks.
    _helm(cluster, "uninstall", RELEASE, "-n", ns)
    kubectl(cluster, "delete", "namespace", ns, "--wait=false")


def test_every_process_runs_and_the_migration_hook_ran_first(installed: Installed) -> None:
    assert set(COMPONENTS) <= _ready_components(installed.cluster, installed.namespace)
    # The hook's schema is there (alembic's version table names the newest migration), and
    # the platform's role is not the superuser: row-level security binds it.
    versions = ROOT / "services" / "jobplatform" / "infrastructure" / "db" / "migrations"
    newest = max(p.name.split("_")[0] for p in (versions / "versions").glob("0*.py"))
    assert installed.sql("SELECT version_num FROM alembic_version") == newest
    assert (
        installed.sql("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = 'jobplatform'")
        == "f"
    )


def test_jobs_through_the_web_service_succeed_on_each_queue(installed: Installed) -> None:
    jobs = [installed.submit("noop", {}), installed.submit("diagnostic", {"sleep_seconds": 0.1})]
    for job_id in jobs:
        wait_for(
            lambda j=job_id: installed.status(j) == "succeeded",
            timeout=180,
            interval=2,
            what=f"job {job_id} to succeed",
        )
    # The scheduled queue's job comes from beat (the prune job, every 15 s here).
    wait_for(
        lambda: (
            installed.sql(
                "SELECT count(*) FROM jobs WHERE queue = 'scheduled' AND status = 'succeeded'"
            )
            not in ("", "0")
        ),
        timeout=180,
        interval=3,
        what="beat's scheduled job to succeed on the scheduled pool",
    )


def test_operator_grows_the_heavy_pool_under_a_surge_and_shrinks_it_after(
    installed: Installed,
) -> None:
    assert installed.ready_replicas("worker-heavy") == 1
    jobs = [installed.submit("diagnostic", {"sleep_seconds": 20}) for _ in range(6)]
    wait_for(
        lambda: installed.ready_replicas("worker-heavy") >= 2,
        timeout=240,
        interval=2,
        what="the operator to add heavy workers",
    )
    for job_id in jobs:
        wait_for(
            lambda j=job_id: installed.status(j) == "succeeded",
            timeout=400,
            interval=3,
            what=f"job {job_id} to succeed",
        )
    wait_for(
        lambda: installed.ready_replicas("worker-heavy") == 1,
        timeout=300,
        interval=3,
        what="the heavy pool to shrink back to its minimum",
    )
    # Every job ran exactly once: one attempt each, none left behind.
    attempts = [installed.http("GET", f"/v1/jobs/{j}")["body"]["attempts"] for j in jobs]
    assert attempts == [1] * len(jobs)
