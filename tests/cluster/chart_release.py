"""One `helm install` of the chart on the real node, shared by the tests that use it (install,
upgrade and rollback), and the calls they make on it: helm, the API through the web Service,
SQL in the bundled Postgres, tenant events in the bundled Redis."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_kubernetes.providers.base import AClusterManager

from cluster.k8s_helpers import kubectl, kubectl_json, new_namespace
from cluster.real_node_workloads import IN_POD_HTTP
from devstack.wait import wait_for
from jobplatform.domain.keys import tenant_key
from jobplatform.domain.tenant import TenantId

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "jobplatform"
RELEASE = "jp"
# The test cluster's real node: images loaded into its containerd, pods placed on that node.
LOCAL_CLUSTER_VALUES = CHART / "ci" / "local-cluster-values.yaml"
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
WORKER_POOLS = ("default", "heavy", "scheduled")
# Short windows so the tests see the heavy pool grow and shrink in minutes, and beat's prune
# job on the scheduled queue soon after the start.
TEST_VALUES: dict[str, Any] = {
    "config": {"JOBPLATFORM_PRUNE_SCHEDULE_SECONDS": 15},
    "workers": {
        pool: {"resources": {"requests": {"cpu": "10m", "memory": "64Mi"}}} for pool in WORKER_POOLS
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

# Counts a tenant's events (the diagnostic job's guarded effect) per job, inside the web pod:
# `python3 -c IN_POD_EVENT_COUNTS <events key>` prints {job_id: count}.
IN_POD_EVENT_COUNTS = """
import collections, json, os, sys, redis
client = redis.Redis.from_url(os.environ["JOBPLATFORM_REDIS_URL"])
raw = client.lrange(sys.argv[1], 0, -1)
print(json.dumps(collections.Counter(json.loads(item)["job_id"] for item in raw)))
"""


def helm(cluster: AClusterManager, *args: str) -> str:
    result = subprocess.run(
        ["helm", "--kubeconfig", str(cluster.kubeconfig), *args], capture_output=True, text=True
    )
    assert result.returncode == 0, f"helm {args[0]}: {result.stderr}"
    return result.stdout


def ready_components(cluster: AClusterManager, ns: str) -> set[str]:
    pods = kubectl_json(cluster, "get", "pods", "-n", ns)["items"]
    ready = set()
    for pod in pods:
        conditions = {c["type"]: c["status"] for c in pod["status"].get("conditions", [])}
        if conditions.get("Ready") == "True" and not pod["metadata"].get("deletionTimestamp"):
            ready.add(pod["metadata"]["labels"].get("app.kubernetes.io/component"))
    return ready


@dataclass(frozen=True)
class Installed:
    cluster: AClusterManager
    namespace: str
    tenant_id: str
    api_key: str
    # The values files of the install, in order: an upgrade passes them again, plus its own.
    values_files: tuple[Path, ...]

    def name(self, component: str) -> str:
        return f"{RELEASE}-jobplatform-{component}"

    def deploy(self, component: str) -> str:
        return f"deploy/{self.name(component)}"

    def helm(self, *args: str) -> str:
        return helm(self.cluster, *args, "-n", self.namespace)

    def exec_web(self, *args: str) -> str:
        return kubectl(self.cluster, "-n", self.namespace, "exec", self.deploy("web"), "--", *args)

    def http(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        url = f"http://{self.name('web')}:8000{path}"
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
        """A query as Postgres's superuser (row-level security does not bind it)."""
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

    def effect_counts(self) -> Counter[str]:
        """How many times each of the tenant's jobs emitted its diagnostic event."""
        key = tenant_key(TenantId.parse(self.tenant_id), "events")
        out = self.exec_web("python3", "-c", IN_POD_EVENT_COUNTS, key)
        return Counter(json.loads(out.strip().splitlines()[-1]))

    def ready_replicas(self, component: str) -> int:
        dep = kubectl_json(
            self.cluster, "get", "deployment", self.name(component), "-n", self.namespace
        )
        return int(dep["status"].get("readyReplicas") or 0)

    def pods(self, component: str) -> set[str]:
        """Names of the component's pods, terminating ones included."""
        selector = f"app.kubernetes.io/component={component}"
        pods = kubectl_json(self.cluster, "get", "pods", "-n", self.namespace, "-l", selector)
        return {p["metadata"]["name"] for p in pods["items"]}


@contextmanager
def installed_chart(
    cluster: AClusterManager, values_dir: Path, cluster_values: Path = LOCAL_CLUSTER_VALUES
) -> Iterator[Installed]:
    """Installs the release in a new namespace with a tenant and its API key; uninstalls it
    after. `cluster_values` fits the chart to the cluster (where the images are, which nodes)."""
    ns = new_namespace(cluster)
    values = values_dir / "test-values.yaml"
    values.write_text(json.dumps(TEST_VALUES))
    values_files = (cluster_values, values)
    files = [arg for path in values_files for arg in ("-f", str(path))]
    helm(cluster, "install", RELEASE, str(CHART), "-n", ns, *files, "--wait", "--timeout", "15m")
    wait_for(
        lambda: set(COMPONENTS) <= ready_components(cluster, ns),
        timeout=300,
        interval=3,
        what="every component's pod to be Ready",
    )
    web = f"deploy/{RELEASE}-jobplatform-web"
    tenant = kubectl(
        cluster, "-n", ns, "exec", web, "--", "jobplatform", "tenants", "create", "acme"
    ).strip()
    key = kubectl(cluster, "-n", ns, "exec", web, "--", "jobplatform", "keys", "issue", tenant)
    try:
        yield Installed(cluster, ns, tenant, key.strip().splitlines()[-1], values_files)
    finally:
        # Not waited for: a heavy worker may take its grace period (half an hour) to stop.
        helm(cluster, "uninstall", RELEASE, "-n", ns)
        kubectl(cluster, "delete", "namespace", ns, "--wait=false")
