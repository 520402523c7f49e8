"""The operator's objects as the chart renders them (its ServiceAccount, Role, ClusterRole,
bindings, KopfPeering and Deployment), for a release named "jobplatform" in a test's
namespace; optionally placed on the real node, with the image loaded there."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

CHART = Path(__file__).resolve().parents[2] / "charts" / "jobplatform"
TEMPLATES = ("templates/operator/rbac.yaml", "templates/operator/deployment.yaml")
SERVICE_ACCOUNT = "jobplatform-operator"


def cluster_role_name(namespace: str) -> str:
    return f"{SERVICE_ACCOUNT}-{namespace}"


def operator_manifests(namespace: str, image: str | None = None) -> list[dict[str, Any]]:
    """Every operator object of the chart, bound to `namespace`. With `image`, the Deployment
    runs that image on the real node (loaded there: never pulled), one replica."""
    args = ["helm", "template", "jobplatform", str(CHART), "--namespace", namespace]
    for template in TEMPLATES:
        args += ["--show-only", template]
    if image is not None:
        repository, tag = image.rsplit(":", 1)
        args += ["-f", str(CHART / "ci" / "local-cluster-values.yaml")]
        args += ["--set", f"operator.image.repository={repository}"]
        args += ["--set", f"operator.image.tag={tag}"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    docs = [doc for doc in yaml.safe_load_all(out) if doc]
    for doc in docs:
        # helm template leaves the namespace to the install; a test applies them itself.
        if doc["kind"] not in ("ClusterRole", "ClusterRoleBinding"):
            doc["metadata"]["namespace"] = namespace
    return docs
