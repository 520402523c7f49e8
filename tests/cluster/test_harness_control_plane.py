"""The test harness's local control plane is a real Kubernetes (these test the harness, not the
product): scheduling and pods on kwok nodes, CRDs with a status subresource, RBAC that refuses,
and Helm releases that install, upgrade, roll back."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from pytest_kubernetes.providers.base import AClusterManager

from cluster.harness.kubeconfig import service_account_kubeconfig
from cluster.k8s_helpers import (
    all_pods,
    apply,
    deployment,
    kubectl,
    kubectl_json,
    new_namespace,
    ready_pods,
)
from devstack.wait import wait_for

CHARTS = Path(__file__).parent / "charts"


def test_api_server_reports_its_real_version(cluster: AClusterManager) -> None:
    version = cluster.kubectl(["version"], as_dict=True)["serverVersion"]
    assert version["gitVersion"].startswith("v1.")
    assert int(version["minor"].rstrip("+")) >= 34


def test_deployment_scales_0_to_3_to_1_with_ready_pods(cluster: AClusterManager) -> None:
    ns = new_namespace(cluster)
    apply(cluster, deployment("scaler", 0), namespace=ns)
    assert all_pods(cluster, ns, "scaler") == []

    cluster.kubectl(["-n", ns, "scale", "deployment/scaler", "--replicas=3"], as_dict=False)
    wait_for(lambda: len(ready_pods(cluster, ns, "scaler")) == 3, timeout=90, what="3 ready pods")
    # Scheduled by the real scheduler onto (fake) nodes, made Running and Ready by kwok.
    assert all(
        kubectl_json(cluster, "get", "pod", p, "-n", ns)["spec"].get("nodeName")
        for p in ready_pods(cluster, ns, "scaler")
    )

    cluster.kubectl(["-n", ns, "scale", "deployment/scaler", "--replicas=1"], as_dict=False)
    wait_for(
        lambda: len(all_pods(cluster, ns, "scaler")) == 1, timeout=90, what="scale-in to 1 pod"
    )
    assert len(ready_pods(cluster, ns, "scaler")) == 1
    wait_for(
        lambda: (
            kubectl_json(cluster, "get", "deployment", "scaler", "-n", ns)["status"].get(
                "readyReplicas"
            )
            == 1
        ),
        what="the Deployment's status",
        timeout=60,
    )


CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "probes.harness.jobplatform.dev"},
    "spec": {
        "group": "harness.jobplatform.dev",
        "scope": "Namespaced",
        "names": {"plural": "probes", "singular": "probe", "kind": "Probe"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {"type": "object", "properties": {"size": {"type": "integer"}}},
                            "status": {
                                "type": "object",
                                "properties": {"phase": {"type": "string"}},
                            },
                        },
                    }
                },
            }
        ],
    },
}


def test_custom_resource_round_trip_with_status_subresource(cluster: AClusterManager) -> None:
    apply(cluster, CRD)
    wait_for(
        lambda: any(
            c["type"] == "Established" and c["status"] == "True"
            for c in kubectl_json(cluster, "get", "crd", CRD["metadata"]["name"])["status"].get(  # type: ignore[index]
                "conditions", []
            )
        ),
        what="the CRD",
        timeout=60,
    )
    ns = new_namespace(cluster)
    probe = {
        "apiVersion": "harness.jobplatform.dev/v1",
        "kind": "Probe",
        "metadata": {"name": "p1", "namespace": ns},
        "spec": {"size": 3},
        "status": {"phase": "ignored-on-create"},
    }
    apply(cluster, probe)
    created = kubectl_json(cluster, "get", "probe", "p1", "-n", ns)
    assert created["spec"] == {"size": 3}
    assert "status" not in created  # the main resource ignores status writes

    def merge_patch(body: dict[str, object], *extra: str) -> None:
        kubectl(
            cluster,
            "-n",
            ns,
            "patch",
            "probe",
            "p1",
            "--type=merge",
            *extra,
            "-p",
            json.dumps(body),
        )

    merge_patch({"status": {"phase": "Ready"}}, "--subresource=status")
    merge_patch({"spec": {"size": 5}, "status": {"phase": "Nope"}})
    got = kubectl_json(cluster, "get", "probe", "p1", "-n", ns)
    assert got["spec"] == {"size": 5}
    assert got["status"] == {"phase": "Ready"}


def test_rbac_refuses_what_the_role_lacks(cluster: AClusterManager, tmp_path: Path) -> None:
    ns = new_namespace(cluster)
    for manifest in (
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "reader", "namespace": ns},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "pod-reader", "namespace": ns},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "reader-reads-pods", "namespace": ns},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "pod-reader",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": ns}],
        },
    ):
        apply(cluster, manifest)
    assert cluster.kubeconfig is not None
    config = service_account_kubeconfig(cluster.kubeconfig, ns, "reader", tmp_path / "reader")

    def as_reader(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["kubectl", "--kubeconfig", str(config), "-n", ns, *args],
            capture_output=True,
            text=True,
        )

    assert as_reader("get", "pods").returncode == 0
    for forbidden in (
        ("get", "secrets"),
        ("get", "pods", "-n", "kube-system"),
        ("create", "configmap", "x", "--from-literal=a=b"),
        ("delete", "serviceaccount", "default"),
    ):
        result = as_reader(*forbidden)
        assert result.returncode != 0
        assert "forbidden" in result.stderr.lower(), result.stderr


@pytest.fixture
def helm(cluster: AClusterManager) -> object:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["helm", "--kubeconfig", str(cluster.kubeconfig), *args],
            capture_output=True,
            text=True,
            check=True,
        )

    return run


def test_helm_install_upgrade_rollback(cluster: AClusterManager, helm: object) -> None:
    run = helm  # type: ignore[assignment]
    ns = new_namespace(cluster)
    chart = str(CHARTS / "smoke")

    def message() -> str:
        return str(
            kubectl_json(cluster, "get", "configmap", "demo-smoke", "-n", ns)["data"]["message"]
        )

    run("install", "demo", chart, "-n", ns, "--wait", "--timeout", "120s")  # type: ignore[operator]
    assert message() == "first"
    assert len(ready_pods(cluster, ns, "demo-smoke")) == 1
    run(
        "upgrade",
        "demo",
        chart,
        "-n",
        ns,
        "--set",
        "message=second",  # type: ignore[operator]
        "--set",
        "replicas=2",
        "--wait",
        "--timeout",
        "120s",
    )
    assert message() == "second"
    assert len(ready_pods(cluster, ns, "demo-smoke")) == 2
    run("rollback", "demo", "1", "-n", ns, "--wait", "--timeout", "120s")  # type: ignore[operator]
    assert message() == "first"
    history = json.loads(run("history", "demo", "-n", ns, "-o", "json").stdout)  # type: ignore[operator]
    assert [h["revision"] for h in history] == [1, 2, 3]
    assert history[-1]["status"] == "deployed"
