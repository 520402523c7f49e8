"""The real node runs pods of images built here: the services image as non-root on a
read-only root filesystem, pods that reach the apiserver with their ServiceAccount token,
and real pods next to kwok pods. Its network stays contained, checked by inspection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_kubernetes.providers.base import AClusterManager

from cluster.harness.cluster_dns import COREFILE
from cluster.harness.node_support import REQUIRE_ENV, real_node_required, why_no_real_node
from cluster.harness.real_node import LABELS, NODE_NAME, RealNode
from cluster.k8s_helpers import apply, deployment, kubectl, kubectl_json, new_namespace, ready_pods
from cluster.real_node_workloads import container, pod, pod_spec
from devstack.wait import wait_for

pytestmark = pytest.mark.timeout(600)


def _finished_pod(cluster: AClusterManager, ns: str, name: str) -> dict[str, object]:
    def done() -> dict[str, object] | None:
        p = kubectl_json(cluster, "get", "pod", name, "-n", ns)
        return p if p["status"].get("phase") in ("Succeeded", "Failed") else None

    return wait_for(done, timeout=180, interval=1, what=f"pod {name} to finish")


def test_network_is_contained_while_the_cluster_runs(real_node: RealNode) -> None:
    # Read from the machine: routes of both ranges point at the bridge, the FORWARD rule
    # drops bridge traffic towards any other interface.
    assert real_node.net.containment() == dict.fromkeys(real_node.net.containment(), True)
    cni = json.loads(next((real_node.containerd.cni_dir / "net.d").glob("*.conflist")).read_text())
    assert [p["ipMasq"] for p in cni["plugins"] if p["type"] == "bridge"] == [False]
    assert "forward" not in COREFILE and COREFILE.startswith("cluster.local:")


def test_coredns_runs_on_the_real_node_from_the_built_image(
    cluster: AClusterManager, real_node: RealNode
) -> None:
    pods = kubectl_json(cluster, "get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-dns")
    [dns] = pods["items"]
    assert dns["spec"]["nodeName"] == NODE_NAME
    assert dns["spec"]["containers"][0]["image"].startswith("localhost/jobplatform/coredns:")
    corefile = kubectl_json(cluster, "get", "configmap", "coredns", "-n", "kube-system")
    assert "forward" not in corefile["data"]["Corefile"]


def test_services_image_runs_the_cli_as_non_root_on_a_read_only_root_as_a_named_user(
    cluster: AClusterManager, real_node_images: dict[str, str]
) -> None:
    ns = new_namespace(cluster)
    image = real_node_images["services"]
    cli = container("cli", image, ["--help"])
    # The lookups Celery makes of the user it runs as (it warns when there is no entry).
    whoami = {
        **container("whoami", image, ["-c", WHOAMI]),
        "command": ["python3"],
    }
    apply(cluster, pod("cli", pod_spec([cli, whoami], restartPolicy="Never")), namespace=ns)
    finished = _finished_pod(cluster, ns, "cli")
    status = finished["status"]  # type: ignore[index]
    exits = {s["name"]: s["state"]["terminated"]["exitCode"] for s in status["containerStatuses"]}  # type: ignore[index]
    logs = {n: kubectl(cluster, "logs", "cli", "-c", n, "-n", ns) for n in exits}
    assert exits == {"cli": 0, "whoami": 0}, logs
    assert "web" in logs["cli"]
    assert logs["whoami"].split() == ["10001", "jobplatform", "10001", "jobplatform"]
    # What the kubelet enforced: no root, no writable root filesystem.
    spec = finished["spec"]["containers"][0]["securityContext"]  # type: ignore[index]
    assert spec["runAsNonRoot"] is True and spec["readOnlyRootFilesystem"] is True


WHOAMI = """
import grp, os, pwd
uid, gid = os.getuid(), os.getgid()
print(uid, pwd.getpwuid(uid).pw_name, gid, grp.getgrgid(gid).gr_name)
"""


ROLE_PROBE = """
import json, ssl, urllib.request, urllib.error
sa = "/var/run/secrets/kubernetes.io/serviceaccount"
token = open(f"{sa}/token").read()
ctx = ssl.create_default_context(cafile=f"{sa}/ca.crt")
def status(path):
    req = urllib.request.Request("https://kubernetes.default.svc" + path,
                                 headers={"Authorization": "Bearer " + token})
    try:
        return urllib.request.urlopen(req, context=ctx, timeout=10).status
    except urllib.error.HTTPError as exc:
        return exc.code
ns = open(f"{sa}/namespace").read()
print(json.dumps({"version": status("/version"),
                  "own pods": status(f"/api/v1/namespaces/{ns}/pods"),
                  "secrets": status(f"/api/v1/namespaces/{ns}/secrets"),
                  "other namespace": status("/api/v1/namespaces/kube-system/pods")}))
"""


def test_pod_reaches_the_apiserver_with_its_token_and_only_what_its_role_allows(
    cluster: AClusterManager, real_node_images: dict[str, str]
) -> None:
    ns = new_namespace(cluster)
    apply(
        cluster,
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "pod-reader"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}],
        },
        namespace=ns,
    )
    kubectl(
        cluster,
        "-n",
        ns,
        "create",
        "rolebinding",
        "reads-pods",
        "--role=pod-reader",
        f"--serviceaccount={ns}:default",
    )
    probe = container("probe", real_node_images["services"], [])
    probe["command"] = ["python3", "-c", ROLE_PROBE]
    apply(cluster, pod("probe", pod_spec([probe], restartPolicy="Never")), namespace=ns)
    finished = _finished_pod(cluster, ns, "probe")
    logs = kubectl(cluster, "logs", "probe", "-n", ns)
    assert finished["status"]["phase"] == "Succeeded", logs  # type: ignore[index]
    assert json.loads(logs.strip().splitlines()[-1]) == {
        "version": 200,
        "own pods": 200,
        "secrets": 403,
        "other namespace": 403,
    }


def test_kwok_pods_and_real_pods_coexist_each_on_their_own_nodes(
    cluster: AClusterManager, real_node_images: dict[str, str]
) -> None:
    ns = new_namespace(cluster)
    apply(cluster, deployment("fake", 3), namespace=ns)  # no toleration: kwok nodes only
    sleeper = container("sleeper", real_node_images["services"], [])
    sleeper["command"] = ["python3", "-c", "import time; time.sleep(3600)"]
    real = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "real"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "real"}},
            "template": {
                "metadata": {"labels": {"app": "real"}},
                "spec": {**pod_spec([sleeper]), "terminationGracePeriodSeconds": 1},
            },
        },
    }
    apply(cluster, real, namespace=ns)
    wait_for(lambda: len(ready_pods(cluster, ns, "fake")) == 3, timeout=120, what="kwok pods")
    wait_for(lambda: len(ready_pods(cluster, ns, "real")) == 2, timeout=180, what="real pods")
    nodes = {
        n["metadata"]["name"]: n["metadata"]["labels"]
        for n in kubectl_json(cluster, "get", "nodes")["items"]
    }
    pods = kubectl_json(cluster, "get", "pods", "-n", ns)["items"]
    placed = {p["metadata"]["labels"]["app"]: set() for p in pods}  # type: ignore[var-annotated]
    for p in pods:
        placed[p["metadata"]["labels"]["app"]].add(p["spec"]["nodeName"])
    assert placed["real"] == {NODE_NAME}
    assert all(nodes[n].get("type") == "kwok" for n in placed["fake"])
    assert all(not LABELS.items() <= nodes[n].items() for n in placed["fake"])
    # Real pods have addresses on the node's bridge; kwok's fake ones are elsewhere in the range.
    ips = {p["metadata"]["labels"]["app"]: p["status"]["podIP"] for p in pods}
    assert ips["real"].startswith("10.244.0.") and not ips["fake"].startswith("10.244.0.")


def test_runtime_state_lives_in_the_cluster_directory(real_node: RealNode) -> None:
    sock = real_node.containerd.socket
    assert sock.is_socket() and real_node.state in sock.parents


def test_a_machine_without_node_binaries_is_told_exactly_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reason = why_no_real_node(tmp_path)  # an empty binary directory
    assert reason is not None
    # The first thing this machine lacks: here the binaries, elsewhere root or a command.
    assert f"kubelet, kube-proxy, coredns not built in {tmp_path}" in reason or (
        "root" in reason or "missing" in reason
    )
    monkeypatch.setenv(REQUIRE_ENV, "1")
    assert real_node_required()
    monkeypatch.setenv(REQUIRE_ENV, "")
    assert not real_node_required()
