"""Small waits and manifests shared by the cluster tests."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

from pytest_kubernetes.providers.base import AClusterManager

from devstack.wait import wait_for

PAUSE_IMAGE = "registry.k8s.io/pause:3.10"


class AdminCluster:
    """The part of pytest-kubernetes's cluster manager these helpers use, on a kubeconfig:
    for fixtures wider than a test, which the function-scoped `cluster` fixture cannot serve."""

    def __init__(self, kubeconfig: Path) -> None:
        self.kubeconfig = kubeconfig

    def kubectl(self, args: list[str], as_dict: bool = True) -> Any:
        out = subprocess.run(
            [
                "kubectl",
                "--kubeconfig",
                str(self.kubeconfig),
                *args,
                *(["-o", "json"] if as_dict and "-o" not in args else []),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return json.loads(out) if as_dict else out


def apply(cluster: AClusterManager, manifest: dict[str, Any], namespace: str | None = None) -> None:
    scope = ["-n", namespace] if namespace else []
    subprocess.run(
        ["kubectl", "--kubeconfig", str(cluster.kubeconfig), *scope, "apply", "-f", "-"],
        input=json.dumps(manifest),
        text=True,
        check=True,
        capture_output=True,
    )


def kubectl_json(cluster: AClusterManager, *args: str) -> dict[str, Any]:
    result: dict[str, Any] = cluster.kubectl([*args, "-o", "json"])
    return result


def new_namespace(cluster: AClusterManager) -> str:
    name = f"t-{uuid.uuid4().hex[:8]}"
    cluster.kubectl(["create", "namespace", name], as_dict=False)
    wait_for(
        lambda: cluster.kubectl(["get", "serviceaccount", "default", "-n", name], as_dict=False),
        timeout=60,
        what=f"the default ServiceAccount of {name}",
    )
    return name


def deployment(name: str, replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "pause", "image": PAUSE_IMAGE}]},
            },
        },
    }


def ready_pods(
    cluster: AClusterManager, namespace: str, app: str = "", selector: str = ""
) -> list[str]:
    """Ready pods labelled app=<app>, or matching a label selector."""
    chosen = selector or f"app={app}"
    pods = kubectl_json(cluster, "get", "pods", "-n", namespace, "-l", chosen)["items"]
    ready = []
    for pod in pods:
        if pod["metadata"].get("deletionTimestamp"):
            continue
        conditions = {c["type"]: c["status"] for c in pod.get("status", {}).get("conditions", [])}
        if pod.get("status", {}).get("phase") == "Running" and conditions.get("Ready") == "True":
            ready.append(pod["metadata"]["name"])
    return ready


def wait_for_ready_pods(
    cluster: AClusterManager, namespace: str, app: str, count: int, timeout: float
) -> list[str]:
    """Exactly ``count`` ready pods labelled app=<app>; on a timeout the error says where the
    pods were stuck (phase, conditions, node) and what the namespace's Events and the nodes
    said, so a slow cluster can be told from a broken one."""

    def probe() -> list[str] | None:
        pods = ready_pods(cluster, namespace, app)
        return pods if len(pods) == count else None

    try:
        return wait_for(
            probe,
            timeout=timeout,
            what=f"{count} ready pods of {app} in {namespace}",
        )
    except TimeoutError as exc:
        raise TimeoutError(f"{exc}\n{pods_report(cluster, namespace, app)}") from None


def pods_report(cluster: AClusterManager, namespace: str, app: str) -> str:
    """Where each pod of ``app`` stands, the namespace's last Events and the nodes' state."""
    lines = []
    for pod in kubectl_json(cluster, "get", "pods", "-n", namespace, "-l", f"app={app}")["items"]:
        status = pod.get("status", {})
        conditions = ",".join(f"{c['type']}={c['status']}" for c in status.get("conditions", []))
        lines.append(
            f"pod {pod['metadata']['name']}: phase {status.get('phase')}, node "
            f"{pod['spec'].get('nodeName')}, {conditions or 'no conditions'}"
        )
    events = kubectl_json(cluster, "get", "events", "-n", namespace)["items"]
    for event in events[-10:]:
        lines.append(f"event {event.get('reason')}: {event.get('message')}")
    for node in kubectl_json(cluster, "get", "nodes")["items"]:
        ready = next(
            (c["status"] for c in node.get("status", {}).get("conditions", [])
             if c["type"] == "Ready"),
            "unknown",
        )  # fmt: skip
        taints = [t["key"] for t in node["spec"].get("taints", [])]
        lines.append(f"node {node['metadata']['name']}: Ready={ready}, taints {taints}")
    return "\n".join(lines)


def all_pods(cluster: AClusterManager, namespace: str, app: str) -> list[str]:
    pods = kubectl_json(cluster, "get", "pods", "-n", namespace, "-l", f"app={app}")["items"]
    return [p["metadata"]["name"] for p in pods]


def kubectl(cluster: AClusterManager, *args: str) -> str:
    """kubectl with an argument list (pytest-kubernetes joins its arguments into a shell line,
    which mangles JSON patches)."""
    return subprocess.run(
        ["kubectl", "--kubeconfig", str(cluster.kubeconfig), *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
