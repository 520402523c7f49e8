"""The operator's CRDs on the real kube-apiserver: valid objects are stored with their defaults,
invalid ones are refused with a message that names the field, status is a subresource, and the
printer columns are the ones the on-call reads."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from pytest_kubernetes.providers.base import AClusterManager

from cluster.k8s_helpers import apply, kubectl, kubectl_json, new_namespace
from devstack.wait import wait_for

CRDS = Path(__file__).resolve().parents[2] / "operator" / "crds"
GROUP = "autoscaling.jobplatform.dev"


def install_crds(cluster: AClusterManager) -> None:
    for path in sorted(CRDS.glob("*.yaml")):
        cluster.kubectl(["apply", "-f", str(path)], as_dict=False)
    for plural in ("workerpools", "queuealerts"):
        cluster.kubectl(
            ["wait", "--for=condition=Established", f"crd/{plural}.{GROUP}", "--timeout=60s"],
            as_dict=False,
        )


def pool(name: str, **spec: Any) -> dict[str, Any]:
    body = {
        "deployment": "worker-default",
        "queues": ["default"],
        "maxReplicas": 5,
        "redis": {"secretRef": {"name": "redis"}},
    }
    body.update(spec)
    return {
        "apiVersion": f"{GROUP}/v1alpha1",
        "kind": "WorkerPool",
        "metadata": {"name": name},
        "spec": body,
    }


def refused(cluster: AClusterManager, ns: str, manifest: dict[str, Any]) -> str:
    result = subprocess.run(
        ["kubectl", "--kubeconfig", str(cluster.kubeconfig), "-n", ns, "create", "-f", "-"],
        input=json.dumps(manifest),
        text=True,
        capture_output=True,
    )
    assert result.returncode != 0, f"accepted: {manifest}"
    return result.stderr


def test_valid_worker_pool_is_stored_with_defaults(cluster: AClusterManager) -> None:
    install_crds(cluster)
    ns = new_namespace(cluster)
    apply(cluster, pool("p1", minReplicas=1, queues=["default", "heavy"]), namespace=ns)
    stored = kubectl_json(cluster, "get", "workerpool", "p1", "-n", ns)["spec"]
    assert stored["celery"]["prioritySteps"] == [0, 3, 6, 9]
    assert stored["targets"] == {"backlogPerReplica": 5, "maxWaitSeconds": 30, "concurrency": 1}
    assert stored["behaviour"]["cooldownToZeroSeconds"] == 120
    assert stored["pollIntervalSeconds"] == 10


def test_max_below_min_is_stored_for_the_operator_to_report(cluster: AClusterManager) -> None:
    install_crds(cluster)
    ns = new_namespace(cluster)
    apply(cluster, pool("backwards", minReplicas=4, maxReplicas=2), namespace=ns)
    assert (
        kubectl_json(cluster, "get", "workerpool", "backwards", "-n", ns)["spec"]["minReplicas"]
        == 4
    )


def test_invalid_worker_pools_are_refused_with_the_field_named(cluster: AClusterManager) -> None:
    install_crds(cluster)
    ns = new_namespace(cluster)
    cases = {
        "spec.queues": pool("a", queues=[]),
        "spec.minReplicas": pool("b", minReplicas=-1),
        "spec.celery.prioritySteps": pool("c", celery={"prioritySteps": [0, 12]}),
        "spec.targets.backlogPerReplica": pool("d", targets={"backlogPerReplica": 0}),
        "spec.deployment": pool("e", deployment="Not_A_Name"),
        "spec.redis": {
            **pool("f"),
            "spec": {k: v for k, v in pool("f")["spec"].items() if k != "redis"},
        },
    }
    for field, manifest in cases.items():
        message = refused(cluster, ns, manifest)
        assert field in message, (field, message)


def test_status_is_a_subresource_and_printer_columns_show_it(cluster: AClusterManager) -> None:
    install_crds(cluster)
    ns = new_namespace(cluster)
    apply(cluster, pool("p2"), namespace=ns)
    # A spec update cannot write status; the status subresource can.
    status = {
        "status": {
            "currentReplicas": 2,
            "desiredReplicas": 3,
            "lastDecision": {"reason": "Backlog", "replicas": 3},
            "conditions": [{"type": "Ready", "status": "True"}],
        }
    }
    kubectl(
        cluster,
        "-n",
        ns,
        "patch",
        "workerpool",
        "p2",
        "--type=merge",
        "--subresource=status",
        "-p",
        json.dumps(status),
    )
    table = cluster.kubectl(["-n", ns, "get", "workerpool", "p2"], as_dict=False)
    header, row = table.splitlines()[:2]
    assert header.split()[:8] == [
        "NAME",
        "DEPLOYMENT",
        "MIN",
        "MAX",
        "CURRENT",
        "DESIRED",
        "REASON",
        "READY",
    ]
    assert row.split()[:8] == ["p2", "worker-default", "0", "5", "2", "3", "Backlog", "True"]


def test_queue_alert_validates_type_and_state(cluster: AClusterManager) -> None:
    install_crds(cluster)
    ns = new_namespace(cluster)
    alert = {
        "apiVersion": f"{GROUP}/v1alpha1",
        "kind": "QueueAlert",
        "metadata": {"name": "p-retrystorm"},
        "spec": {
            "type": "RetryStorm",
            "severity": "warning",
            "pool": "p",
            "runbook": "docs/runbooks/RetryStorm.md",
        },
    }
    apply(cluster, alert, namespace=ns)
    bad_type = {**alert, "metadata": {"name": "x"}, "spec": {**alert["spec"], "type": "Meh"}}
    assert "spec.type" in refused(cluster, ns, bad_type)
    status = {
        "status": {
            "state": "firing",
            "count": 1,
            "message": "retries",
            "firstSeen": "2026-01-01T00:00:00Z",
            "lastSeen": "2026-01-01T00:00:00Z",
        }
    }
    kubectl(
        cluster,
        "-n",
        ns,
        "patch",
        "queuealert",
        "p-retrystorm",
        "--type=merge",
        "--subresource=status",
        "-p",
        json.dumps(status),
    )
    row = wait_for(
        lambda: cluster.kubectl(["-n", ns, "get", "queuealerts"], as_dict=False).splitlines()[1],
        what="the alert row",
    )
    assert row.split()[:7] == [
        "p-retrystorm",
        "RetryStorm",
        "warning",
        "p",
        "<none>",
        "firing",
        "1",
    ] or row.split()[:6] == ["p-retrystorm", "RetryStorm", "warning", "p", "firing", "1"]
    bad_state = {"status": {"state": "maybe"}}
    result = subprocess.run(
        [
            "kubectl",
            "--kubeconfig",
            str(cluster.kubeconfig),
            "-n",
            ns,
            "patch",
            "queuealert",
            "p-retrystorm",
            "--type=merge",
            "--subresource=status",
            "-p",
            json.dumps(bad_state),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "status.state" in result.stderr
