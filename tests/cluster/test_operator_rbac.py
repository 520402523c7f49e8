"""The chart's ServiceAccounts on the real kube-apiserver: what the operator's and the other
platform pods' may do, as `kubectl auth can-i --list` reports it, is exactly the checked-in
expectation. A right added or lost in the chart fails here until the expectation file changes
with it.

Regenerate the expectation after a deliberate change with
`JOBPLATFORM_UPDATE_EXPECTATIONS=1 pytest tests/cluster/test_operator_rbac.py`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml
from pytest_kubernetes.providers.base import AClusterManager

from cluster.k8s_helpers import apply, kubectl, new_namespace
from cluster.operator_manifests import SERVICE_ACCOUNT, cluster_role_name, operator_manifests
from cluster.test_operator_crds import install_crds

EXPECTATION = Path(__file__).parent / "expectations" / "operator-can-i.txt"
PLATFORM_EXPECTATION = Path(__file__).parent / "expectations" / "platform-can-i.txt"
CHART = Path(__file__).resolve().parents[2] / "charts" / "jobplatform"


def normalised(can_i: str) -> str:
    """One rule a line, columns separated by one space, the header first, the rest sorted."""
    lines = [" ".join(line.split()) for line in can_i.splitlines() if line.strip()]
    return "\n".join([lines[0], *sorted(lines[1:])]) + "\n"


def can_i(cluster: AClusterManager, user: str, verb: str, resource: str, ns: str) -> bool:
    answer = subprocess.run(
        [
            "kubectl",
            "--kubeconfig",
            str(cluster.kubeconfig),
            "auth",
            "can-i",
            verb,
            resource,
            f"--as={user}",
            "-n",
            ns,
        ],
        capture_output=True,
        text=True,
    )
    return answer.stdout.strip() == "yes"


def test_operator_service_account_has_exactly_the_expected_rights(
    cluster: AClusterManager,
) -> None:
    install_crds(cluster)
    ns = new_namespace(cluster)
    try:
        for manifest in operator_manifests(ns):
            apply(cluster, manifest)
        user = f"system:serviceaccount:{ns}:{SERVICE_ACCOUNT}"
        rights = normalised(kubectl(cluster, "auth", "can-i", "--list", f"--as={user}", "-n", ns))
        if os.environ.get("JOBPLATFORM_UPDATE_EXPECTATIONS"):
            EXPECTATION.write_text(rights)
        assert rights == EXPECTATION.read_text()
        # Its namespaced rights end at its namespace.
        assert can_i(cluster, user, "get", "secrets", ns)
        assert not can_i(cluster, user, "get", "secrets", "default")
        assert not can_i(cluster, user, "patch", "deployments/scale", "default")
    finally:
        kubectl(cluster, "delete", "namespace", ns, "--wait=false")
        name = cluster_role_name(ns)
        kubectl(cluster, "delete", "clusterrolebinding,clusterrole", name, "--ignore-not-found")


def test_platform_service_account_has_no_rights_beyond_discovery(cluster: AClusterManager) -> None:
    """Web, relay, reconciler, workers, beat and the migration run as the chart's own
    ServiceAccount: no Role binds it (and no pod mounts its token)."""
    ns = new_namespace(cluster)
    try:
        rendered = subprocess.run(
            [
                "helm",
                "template",
                "jobplatform",
                str(CHART),
                "--namespace",
                ns,
                "--show-only",
                "templates/serviceaccount.yaml",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        [account] = [doc for doc in yaml.safe_load_all(rendered) if doc]
        assert account["automountServiceAccountToken"] is False
        apply(cluster, account, namespace=ns)
        user = f"system:serviceaccount:{ns}:{account['metadata']['name']}"
        rights = normalised(kubectl(cluster, "auth", "can-i", "--list", f"--as={user}", "-n", ns))
        if os.environ.get("JOBPLATFORM_UPDATE_EXPECTATIONS"):
            PLATFORM_EXPECTATION.write_text(rights)
        assert rights == PLATFORM_EXPECTATION.read_text()
        assert not can_i(cluster, user, "get", "secrets", ns)
    finally:
        kubectl(cluster, "delete", "namespace", ns, "--wait=false")
