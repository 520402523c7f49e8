"""The chart's run-ticket signing key: one Secret (generated on install and read back on
upgrades, or the user's), given to the relay, which signs, and to the workers, which check, and
to no other process; nothing at all when run tickets are off."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pytest_kubernetes.providers.base import AClusterManager

from cluster.k8s_helpers import apply, new_namespace

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "jobplatform"
VARIABLE = "JOBPLATFORM_RUN_TICKET_KEY"
GENERATED = "jobplatform-run-tickets"
# The processes that sign or check tickets in a default release; every other gets no key.
USERS = {
    f"jobplatform-{c}" for c in ("relay", "worker-default", "worker-heavy", "worker-scheduled")
}
OTHERS = {f"jobplatform-{c}" for c in ("web", "beat", "reconciler", "migrate", "operator")}


def render(*args: str, namespace: str = "jobplatform") -> list[dict[str, Any]]:
    result = subprocess.run(
        ["helm", "template", "jobplatform", str(CHART), "--namespace", namespace, *args],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def _key_refs(docs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Name of every object with a pod template -> the run-ticket key variables of its
    containers (init containers included)."""
    refs: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        spec = doc.get("spec", {}).get("template", {}).get("spec")
        if spec is None:
            continue
        containers = [*spec.get("initContainers", []), *spec["containers"]]
        refs[doc["metadata"]["name"]] = [
            env for c in containers for env in c.get("env", []) if env["name"] == VARIABLE
        ]
    return refs


def _secrets(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == "Secret"}


def _assert_only_relay_and_workers_get(docs: list[dict[str, Any]], name: str, key: str) -> None:
    refs = _key_refs(docs)
    assert set(refs) >= USERS | OTHERS, sorted(refs)
    assert {n for n, found in refs.items() if found} == USERS
    for n in USERS:
        assert refs[n] == [
            {"name": VARIABLE, "valueFrom": {"secretKeyRef": {"name": name, "key": key}}}
        ], n


@pytest.mark.parametrize(
    "values",
    # The key is the chart's own, bundled stores or not.
    [[], ["-f", str(CHART / "ci" / "production-values.yaml")]],
    ids=["bundled stores", "external stores"],
)
def test_generated_key_reaches_the_relay_and_the_workers_only(
    k8s_bin: Path, values: list[str]
) -> None:
    docs = render(*values)
    secret = _secrets(docs)[GENERATED]
    key = base64.b64decode(secret["data"]["run-ticket-key"]).decode()
    assert len(key) == 64 and key.isalnum(), key
    _assert_only_relay_and_workers_get(docs, GENERATED, "run-ticket-key")
    # A fresh install draws a fresh key.
    again = base64.b64decode(_secrets(render(*values))[GENERATED]["data"]["run-ticket-key"])
    assert again.decode() != key


def test_given_secret_is_referenced_and_none_generated(k8s_bin: Path) -> None:
    docs = render("--set", "runTickets.existingSecret=signing", "--set", "runTickets.key=hmac")
    assert not [n for n in _secrets(docs) if "run-tickets" in n], sorted(_secrets(docs))
    _assert_only_relay_and_workers_get(docs, "signing", "hmac")


def test_nothing_is_rendered_when_run_tickets_are_off(k8s_bin: Path) -> None:
    for values in ([], ["--set", "runTickets.existingSecret=signing"]):
        docs = render("--set", "runTickets.enabled=false", *values)
        assert not [n for n in _secrets(docs) if "run-tickets" in n], sorted(_secrets(docs))
        refs = _key_refs(docs)
        assert set(refs) >= USERS and not any(refs.values()), refs


def test_an_upgrade_keeps_the_installed_key(cluster: AClusterManager, k8s_bin: Path) -> None:
    """`--dry-run=server` lets the chart's lookup read the cluster, as an upgrade does (no
    operator: its CRDs are not needed to read a Secret)."""
    ns = new_namespace(cluster)
    installed = "k" * 32 + "0123456789" * 3 + "ab"
    # The Secret as the install left it: owned by the release, so the upgrade may adopt it.
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": GENERATED,
            "labels": {"app.kubernetes.io/managed-by": "Helm"},
            "annotations": {
                "meta.helm.sh/release-name": "jobplatform",
                "meta.helm.sh/release-namespace": ns,
            },
        },
        "stringData": {"run-ticket-key": installed},
    }
    apply(cluster, secret, namespace=ns)
    docs = render(
        "--dry-run=server",
        "--kubeconfig",
        str(cluster.kubeconfig),
        "--set",
        "operator.enabled=false",
        namespace=ns,
    )
    kept = base64.b64decode(_secrets(docs)[GENERATED]["data"]["run-ticket-key"]).decode()
    assert kept == installed
