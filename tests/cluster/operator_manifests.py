"""The operator's plain manifests (k8s/operator) as a test applies them: moved into the test's
namespace, their cluster-wide objects renamed after it (so two namespaces never share a
binding), and optionally placed on the real node with the image loaded there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from cluster.real_node_workloads import on_real_node

MANIFESTS = Path(__file__).resolve().parents[2] / "k8s" / "operator"
# In the order they are applied: the identity, its rights, the peering object, the Deployment.
FILES = ("serviceaccount.yaml", "role.yaml", "cluster-role.yaml", "peering.yaml", "deployment.yaml")
HOME_NAMESPACE = "jobplatform-system"
SERVICE_ACCOUNT = "jobplatform-operator"
CLUSTER_KINDS = {"ClusterRole", "ClusterRoleBinding"}


def cluster_role_name(namespace: str) -> str:
    return f"{SERVICE_ACCOUNT}-{namespace}"


def _rebind(doc: dict[str, Any], namespace: str) -> dict[str, Any]:
    meta = doc["metadata"]
    if doc["kind"] in CLUSTER_KINDS:
        meta["name"] = cluster_role_name(namespace)
    else:
        assert meta.get("namespace") == HOME_NAMESPACE, doc
        meta["namespace"] = namespace
    if doc["kind"] == "ClusterRoleBinding":
        doc["roleRef"]["name"] = cluster_role_name(namespace)
    for subject in doc.get("subjects", []):
        subject["namespace"] = namespace
    return doc


def operator_manifests(namespace: str, image: str | None = None) -> list[dict[str, Any]]:
    """Every object of k8s/operator, bound to `namespace`. With `image`, the Deployment runs
    that image on the real node (loaded there: never pulled)."""
    docs = []
    for name in FILES:
        for doc in yaml.safe_load_all((MANIFESTS / name).read_text()):
            docs.append(_rebind(doc, namespace))
    if image is not None:
        for doc in docs:
            if doc["kind"] == "Deployment":
                template = doc["spec"]["template"]
                template["spec"] = on_real_node(template["spec"])
                for c in template["spec"]["containers"]:
                    c["image"], c["imagePullPolicy"] = image, "Never"
    return docs
