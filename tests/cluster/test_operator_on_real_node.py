"""The operator in the cluster, on the real node: it runs as a pod from its own image under
its ServiceAccount (the chart's RBAC and Deployment, rendered by helm), reads a Redis pod
through the Secret a WorkerPool names, and scales Deployments of real Celery workers (pods of
the services image running tests/cluster/operator_worker_app.py, mounted from a ConfigMap).

The test process publishes with a plain Celery client straight to the Redis pod's address
(the pod range is routed to the node's bridge on this host) and counts every start and every
completion the workers record in Redis. Windows are short; every wait is for a state."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
import redis
from celery import Celery
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
from cluster.operator_manifests import cluster_role_name, operator_manifests
from cluster.operator_worker_app import done_key, healed_key, started_key
from cluster.real_node_workloads import container, deployment, pod_spec, service
from cluster.test_operator_crds import install_crds, pool
from cluster.test_operator_kopf import redis_secret
from devstack.wait import wait_for

pytestmark = pytest.mark.timeout(900)

APP = Path(__file__).parent / "operator_worker_app.py"
OPERATOR = "jobplatform-operator"
OPERATOR_PODS = "app.kubernetes.io/component=operator"  # the chart's labels
# Short windows so a scale-up, a scale-in and an alert each take seconds, not minutes.
FAST = {
    "pollIntervalSeconds": 2,
    "behaviour": {
        "scaleUp": {"stabilisationWindowSeconds": 0, "pods": 4, "percent": 200, "periodSeconds": 4},
        "scaleDown": {
            "stabilisationWindowSeconds": 10,
            "pods": 4,
            "percent": 100,
            "periodSeconds": 4,
        },
        "cooldownToZeroSeconds": 10,
    },
}


@dataclass(frozen=True)
class Stack:
    cluster: AClusterManager
    namespace: str
    images: dict[str, str]

    def kubectl(self, *args: str) -> str:
        return kubectl(self.cluster, "-n", self.namespace, *args)

    def get(self, *args: str) -> dict[str, Any]:
        return kubectl_json(self.cluster, "get", *args, "-n", self.namespace)

    def redis_url(self) -> str:
        """The Redis pod's own address (it changes when the pod is replaced)."""
        pods = self.get("pods", "-l", "app=redis")["items"]
        ip = next(p["status"]["podIP"] for p in pods if p["status"].get("podIP"))
        return f"redis://{ip}:6379/0"

    def redis(self) -> redis.Redis[bytes]:
        return redis.Redis.from_url(self.redis_url(), socket_timeout=5)

    def publish(self, task: str, args: list[Any], queue: str, count: int = 1) -> None:
        app = Celery("optest-client", broker=self.redis_url())
        app.conf.broker_transport_options = {"priority_steps": [0, 3, 6, 9]}
        try:
            for _ in range(count):
                app.send_task(task, args=args, queue=queue)
        finally:
            app.close()

    def workers(self, name: str, queue: str, replicas: int) -> None:
        """A Deployment of Celery workers on `queue` and on a queue named after the pod (so a
        test can hand one pod a task); the Celery hostname is celery@<pod name>, which is how
        the operator finds the pod of an idle worker."""
        args = ["-A", "operator_worker_app", "worker", "-Q", f"{queue},$(POD_NAME)"]
        args += ["-n", "celery@$(POD_NAME)", "-P", "solo", "-l", "INFO"]
        args += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        env = {"OPTEST_BROKER": "redis://redis:6379/0", "OPTEST_QUEUE": queue}
        env["PYTHONPATH"] = "/app"
        worker = container("worker", self.images["services"], args, env)
        worker["command"] = ["celery"]
        worker["env"].insert(
            0, {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}
        )
        worker["volumeMounts"].append({"name": "app", "mountPath": "/app", "readOnly": True})
        spec = pod_spec([worker], terminationGracePeriodSeconds=30)
        spec["volumes"].append({"name": "app", "configMap": {"name": "worker-app"}})
        apply(self.cluster, deployment(name, spec, replicas), namespace=self.namespace)

    def pool(self, name: str, queue: str, **spec: Any) -> None:
        body = pool(name, deployment=name, queues=[queue], **{**FAST, **spec})
        apply(self.cluster, body, namespace=self.namespace)

    def replicas(self, name: str) -> int:
        return int(self.get("deployment", name)["spec"]["replicas"])

    def pods(self, name: str) -> list[dict[str, Any]]:
        """The Deployment's pods that are not on their way out, oldest first."""
        items = self.get("pods", "-l", f"app={name}")["items"]
        alive = [p for p in items if not p["metadata"].get("deletionTimestamp")]
        return sorted(alive, key=lambda p: str(p["metadata"]["creationTimestamp"]))

    def status(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.get("workerpool", name).get("status") or {}
        return found

    def signals(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.status(name).get("lastSignals") or {}
        return found

    def alert(self, name: str, kind: str) -> dict[str, Any] | None:
        items = self.get("queuealerts", "-l", f"autoscaling.jobplatform.dev/pool={name}")["items"]
        return next((a for a in items if a["spec"]["type"] == kind), None)

    def alert_state(self, name: str, kind: str) -> str | None:
        found = self.alert(name, kind)
        return (found.get("status") or {}).get("state") if found else None

    def entries(self, key: str) -> list[tuple[str, str]]:
        client = self.redis()
        try:
            raw = client.lrange(key, 0, -1)
        finally:
            client.close()
        return [cast(tuple[str, str], tuple(e.decode().split(" ", 1))) for e in raw]

    def remove(self, name: str) -> None:
        """The pool first (so nothing scales the Deployment back), then its workers."""
        self.kubectl("delete", "workerpool", name, "--ignore-not-found")
        self.kubectl("delete", "deployment", name, "--ignore-not-found")
        wait_for(lambda: not self.pods(name), timeout=120, interval=2, what=f"{name} pods gone")


@pytest.fixture(scope="module")
def stack(control_plane: ControlPlane | None, real_node_images: dict[str, str]) -> Iterator[Stack]:
    assert control_plane is not None
    cluster = cast(AClusterManager, AdminCluster(control_plane.admin_kubeconfig))
    install_crds(cluster)
    ns = new_namespace(cluster)
    redis_container = container("redis", real_node_images["redis"], [], non_root=False)
    apply(cluster, deployment("redis", pod_spec([redis_container])), namespace=ns)
    apply(cluster, service("redis", 6379), namespace=ns)
    apply(cluster, redis_secret(ns, "redis://redis:6379/0"), namespace=ns)
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "worker-app"},
        "data": {APP.name: APP.read_text()},
    }
    apply(cluster, config_map, namespace=ns)
    for manifest in operator_manifests(ns, image=real_node_images["operator"]):
        apply(cluster, manifest)
    wait_for(lambda: ready_pods(cluster, ns, "redis"), timeout=240, interval=2, what="redis")
    wait_for(
        lambda: ready_pods(cluster, ns, selector=OPERATOR_PODS),
        timeout=240,
        interval=2,
        what="the operator",
    )
    yield Stack(cluster, ns, real_node_images)
    kubectl(cluster, "delete", "namespace", ns, "--wait=false")
    kubectl(cluster, "delete", "clusterrolebinding,clusterrole", cluster_role_name(ns))


def operator_log(stack: Stack) -> str:
    return stack.kubectl("logs", f"deploy/{OPERATOR}", "--tail=200")


def test_operator_runs_as_its_service_account_from_its_image(stack: Stack) -> None:
    pod = stack.get("pods", "-l", OPERATOR_PODS)["items"][0]
    assert pod["spec"]["serviceAccountName"] == OPERATOR
    assert pod["spec"]["containers"][0]["image"] == stack.images["operator"]
    # Running, not merely started: it has announced itself (by its pod name) in its
    # namespace's peering object, which takes the image, the ServiceAccount and its rights.
    name = pod["metadata"]["name"]
    wait_for(
        lambda: name in (stack.get("kopfpeering", OPERATOR).get("status") or {}),
        120,
        2,
        "the operator in the peering object",
    )
    status = stack.get("pod", name)["status"]["containerStatuses"][0]
    assert status["ready"] and status["restartCount"] == 0, status
    # kopf found what it needs under that ServiceAccount: nothing was forbidden.
    assert "403" not in operator_log(stack) and "Forbidden" not in operator_log(stack)


def test_a_surge_scales_workers_up_they_drain_it_and_the_pool_scales_back(stack: Stack) -> None:
    name, tag, tasks = "surge", uuid.uuid4().hex[:8], 90
    stack.workers(name, name, 1)
    stack.pool(name, name, minReplicas=1, maxReplicas=3, targets={"backlogPerReplica": 10})
    first = wait_for(lambda: ready_pods(stack.cluster, stack.namespace, name), 240, 2, "a worker")
    wait_for(lambda: stack.signals(name).get("idleWorkers") == 1, 120, 2, "the worker seen idle")

    stack.publish("optest.work", [0.5, tag], name, count=tasks)
    wait_for(lambda: stack.replicas(name) == 3, 120, 2, "scale-up to maxReplicas")
    done = wait_for(
        lambda: (d := stack.entries(done_key(tag))) and len(d) >= tasks and d, 400, 3, "drained"
    )
    ids = [task for task, _ in done]
    assert len(ids) == tasks and len(set(ids)) == tasks  # each task once, none lost
    hosts = {host.split("@", 1)[1] for _, host in done}
    assert hosts - set(first), f"only the first worker consumed: {hosts}"
    wait_for(lambda: stack.replicas(name) == 1, 300, 2, "scale back to minReplicas")
    wait_for(lambda: len(stack.pods(name)) == 1, 120, 2, "one worker pod left")
    assert stack.status(name)["lastSignals"]["ready"] == 0
    stack.remove(name)


def test_scale_in_removes_only_idle_workers_and_loses_no_running_task(stack: Stack) -> None:
    name, tag, seconds = "drain", uuid.uuid4().hex[:8], 90
    stack.workers(name, name, 2)
    stack.pool(name, name, minReplicas=2, maxReplicas=4)
    old = wait_for(lambda: len(p := stack.pods(name)) == 2 and p, 240, 2, "2 pods")
    wait_for(lambda: stack.signals(name).get("idleWorkers") == 2, 120, 2, "2 idle workers")
    stack.kubectl("patch", "workerpool", name, "--type=merge", "-p",
                  json.dumps({"spec": {"minReplicas": 4}}))  # fmt: skip
    wait_for(lambda: len(ready_pods(stack.cluster, stack.namespace, name)) == 4, 300, 2, "4 pods")
    wait_for(lambda: stack.signals(name).get("idleWorkers") == 4, 120, 2, "4 idle workers")
    # The two pods the operator added get the long tasks: they are the newest, which the
    # ReplicaSet removes first unless the deletion-cost marks say otherwise.
    older = {p["metadata"]["name"] for p in old}
    busy = [p["metadata"]["name"] for p in stack.pods(name) if p["metadata"]["name"] not in older]
    assert len(busy) == 2, busy
    for pod_name in busy:
        stack.publish("optest.work", [seconds, tag], pod_name)
    wait_for(lambda: len(stack.entries(started_key(tag))) == 2, 120, 1, "both tasks running")
    wait_for(lambda: stack.signals(name).get("busyWorkers") == 2, 60, 1, "2 busy workers")

    stack.kubectl("patch", "workerpool", name, "--type=merge", "-p",
                  json.dumps({"spec": {"minReplicas": 1}}))  # fmt: skip
    wait_for(lambda: stack.replicas(name) == 2, 120, 1, "scale-in to the two busy workers")
    assert not stack.entries(done_key(tag)), "the tasks ended before the scale-in: too short"
    left = wait_for(
        lambda: (p := [x["metadata"]["name"] for x in stack.pods(name)]) and len(p) == 2 and p,
        120,
        1,
        "two pods left",
    )
    assert sorted(left) == sorted(busy), f"busy {busy}, kept {left}"
    done = wait_for(lambda: len(stack.entries(done_key(tag))) == 2, seconds + 120, 2, "tasks done")
    assert done
    started = stack.entries(started_key(tag))
    assert len(started) == 2 and len({t for t, _ in started}) == 2  # none ran twice
    assert {h.split("@", 1)[1] for _, h in stack.entries(done_key(tag))} == set(busy)
    wait_for(lambda: stack.replicas(name) == 1, 240, 2, "scale-in to minReplicas once idle")
    stack.remove(name)


def test_redis_outage_holds_applies_fallback_alerts_and_resolves(stack: Stack) -> None:
    name = "outage"
    stack.workers(name, name, 1)
    stack.pool(name, name, minReplicas=1, maxReplicas=3, fallback={"replicas": 2})
    wait_for(lambda: stack.signals(name).get("idleWorkers") == 1, 240, 2, "the worker seen idle")
    stack.kubectl("scale", "deployment", "redis", "--replicas=0")
    try:
        # Fired by the outage (a Redis client error), not by a queue not declared yet.
        alert = wait_for(
            lambda: (
                (a := stack.alert(name, "ProbeFailing"))
                and a["status"]["state"] == "firing"
                and "Error" in a["status"]["message"]
                and a
            ),
            120,
            2,
            "ProbeFailing for the outage",
        )
        assert "queues with no key" not in alert["status"]["message"]
        wait_for(lambda: stack.replicas(name) == 2, 60, 2, "the fallback replicas")
        conditions = {c["type"]: c["status"] for c in stack.status(name)["conditions"]}
        assert conditions["Fallback"] == "True"
        assert stack.status(name)["lastDecision"]["reason"] in ("Fallback", "SignalsMissing")
    finally:
        stack.kubectl("scale", "deployment", "redis", "--replicas=1")
    wait_for(lambda: ready_pods(stack.cluster, stack.namespace, "redis"), 120, 2, "Redis back")
    wait_for(lambda: stack.alert_state(name, "ProbeFailing") == "resolved", 180, 2, "resolved")
    stack.remove(name)


def test_retry_storm_alerts_holds_scale_up_and_resolves(stack: Stack) -> None:
    name, tag = "storm", uuid.uuid4().hex[:8]
    stack.workers(name, name, 1)
    retry_storm = {"minRate": 0.5, "ratio": 1, "holdScaleUp": True}
    stack.pool(
        name, name, minReplicas=1, maxReplicas=3, retryStorm=retry_storm,
        targets={"backlogPerReplica": 5},
    )  # fmt: skip
    wait_for(lambda: stack.signals(name).get("idleWorkers") == 1, 240, 2, "the worker seen idle")
    stack.publish("optest.flaky", [tag], name, count=10)
    wait_for(lambda: stack.alert_state(name, "RetryStorm") == "firing", 180, 2, "RetryStorm")
    # A backlog that would scale up: held while the storm lasts.
    stack.publish("optest.work", [1.0, tag], name, count=30)
    held = wait_for(
        lambda: (s := stack.status(name))["lastDecision"]["reason"] == "RetryStormHold" and s,
        120,
        1,
        "scale-up held by the storm",
    )
    assert held["desiredReplicas"] == 1 and stack.replicas(name) == 1
    client = stack.redis()
    client.set(healed_key(tag), 1)
    client.close()
    wait_for(lambda: stack.alert_state(name, "RetryStorm") == "resolved", 300, 3, "resolved")
    wait_for(lambda: len(stack.entries(done_key(tag))) == 40, 300, 3, "every task done")
    stack.remove(name)
