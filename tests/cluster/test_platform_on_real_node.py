"""The platform in pods on the real node: Redis and Postgres from images built from Debian's
packages, the migration as a Job, web, relay and a worker from the services image. Jobs go
in through the web Service and are read back through the API until they succeed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

import pytest
from pytest_kubernetes.providers.base import AClusterManager

from cluster.harness.controlplane import ControlPlane
from cluster.k8s_helpers import (
    AdminCluster,
    apply,
    kubectl,
    kubectl_json,
    new_namespace,
    ready_pods,
)
from cluster.real_node_workloads import (
    IN_POD_HTTP,
    WEB_PORT,
    datastores,
    migration,
    platform_processes,
)
from devstack.wait import wait_for

pytestmark = pytest.mark.timeout(900)


@dataclass(frozen=True)
class Platform:
    cluster: AClusterManager
    namespace: str
    api_key: str

    def exec_web(self, *args: str) -> str:
        return kubectl(self.cluster, "-n", self.namespace, "exec", "deploy/web", "--", *args)

    def http(
        self, method: str, path: str, body: dict[str, object] | None = None
    ) -> dict[str, object]:
        url = f"http://web:{WEB_PORT}{path}"
        extra = [json.dumps(body)] if body is not None else []
        out = self.exec_web("python3", "-c", IN_POD_HTTP, method, url, self.api_key, *extra)
        result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
        return result

    def submit_noop(self) -> str:
        accepted = self.http("POST", "/v1/jobs", {"type": "noop", "payload": {}})
        assert accepted["status"] == 202, accepted
        return str(accepted["body"]["job_id"])  # type: ignore[index]

    def wait_succeeded(self, job_id: str, timeout: float = 180) -> dict[str, object]:
        def succeeded() -> dict[str, object] | None:
            job = self.http("GET", f"/v1/jobs/{job_id}")["body"]
            assert job["status"] not in ("dead", "failed"), job  # type: ignore[index]
            return job if job["status"] == "succeeded" else None  # type: ignore[index, return-value]

        return wait_for(succeeded, timeout=timeout, interval=2, what=f"job {job_id} to succeed")


@pytest.fixture(scope="module")
def running_platform(
    control_plane: ControlPlane | None, real_node_images: dict[str, str]
) -> Iterator[Platform]:
    # Module-scoped (one platform for the three tests): the function-scoped `cluster` fixture
    # cannot serve it, the session's admin kubeconfig can.
    assert control_plane is not None
    cluster = cast(AClusterManager, AdminCluster(control_plane.admin_kubeconfig))
    ns = new_namespace(cluster)
    # In order, so that nothing starts before what it needs is there (no crash loops).
    for manifest in datastores(real_node_images):
        apply(cluster, manifest, namespace=ns)

    def ready(app: str) -> None:
        wait_for(lambda: ready_pods(cluster, ns, app), timeout=240, interval=2, what=app)

    for app in ("redis", "postgres"):
        ready(app)
    apply(cluster, migration(real_node_images), namespace=ns)
    wait_for(
        lambda: kubectl_json(cluster, "get", "job", "migrate", "-n", ns)["status"].get("succeeded"),
        timeout=300,
        interval=2,
        what="the migration Job",
    )
    for manifest in platform_processes(real_node_images):
        apply(cluster, manifest, namespace=ns)
    for app in ("web", "relay", "worker"):
        ready(app)
    tenant = kubectl(
        cluster, "-n", ns, "exec", "deploy/web", "--", "jobplatform", "tenants", "create", "acme"
    ).strip()
    key = (
        kubectl(
            cluster, "-n", ns, "exec", "deploy/web", "--", "jobplatform", "keys", "issue", tenant
        )
        .strip()
        .splitlines()[-1]
    )
    yield Platform(cluster, ns, key)
    kubectl(cluster, "delete", "namespace", ns, "--wait=false")


def test_job_submitted_to_the_web_service_succeeds(running_platform: Platform) -> None:
    job_id = running_platform.submit_noop()
    job = running_platform.wait_succeeded(job_id)
    assert job["id"] == job_id


def test_pod_resolves_the_web_service_by_name_and_logs_and_exec_work(
    running_platform: Platform,
) -> None:
    p = running_platform
    cluster_ip = kubectl_json(p.cluster, "get", "service", "web", "-n", p.namespace)["spec"][
        "clusterIP"
    ]
    resolved = p.exec_web(
        "python3", "-c", "import socket; print(socket.gethostbyname('web'))"
    ).strip()
    assert resolved == cluster_ip
    fqdn = f"web.{p.namespace}.svc.cluster.local"
    assert (
        p.exec_web("python3", "-c", f"import socket; print(socket.gethostbyname('{fqdn}'))").strip()
        == cluster_ip
    )
    assert p.exec_web("id", "-u").strip() == "10001"
    # The worker's log, read through the apiserver from the kubelet.
    assert kubectl(p.cluster, "-n", p.namespace, "logs", "deploy/worker").strip()


def test_deleted_worker_pod_is_replaced_and_a_job_submitted_meanwhile_succeeds(
    running_platform: Platform,
) -> None:
    p = running_platform
    [old] = ready_pods(p.cluster, p.namespace, "worker")
    kubectl(p.cluster, "-n", p.namespace, "delete", "pod", old, "--wait=false")
    job_id = p.submit_noop()
    wait_for(
        lambda: [n for n in ready_pods(p.cluster, p.namespace, "worker") if n != old],
        timeout=180,
        interval=2,
        what="a replacement worker pod",
    )
    p.wait_succeeded(job_id)
    assert old not in ready_pods(p.cluster, p.namespace, "worker")
    assert uuid.UUID(job_id)
