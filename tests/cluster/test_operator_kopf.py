"""The operator under kopf against the real kube-apiserver (kwok nodes) and a real Redis:
a Celery backlog scales a Deployment up and, once gone, back to zero; a bad spec and an
unknown Deployment become a condition and an Event, never a crash loop."""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from kopf.testing import KopfRunner
from pytest_kubernetes.providers.base import AClusterManager

from celery_autoscaler.actuators.kubernetes import DELETION_COST
from cluster.k8s_helpers import (
    all_pods,
    apply,
    deployment,
    kubectl_json,
    new_namespace,
    wait_for_ready_pods,
)
from cluster.test_operator_crds import install_crds, pool
from devstack.local_servers import RedisServer
from devstack.wait import wait_for
from jobplatform.infrastructure.redis.heartbeat import (
    WorkerState,
    remove_heartbeat,
    write_heartbeat,
)


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.close()


@pytest.fixture
def ns(cluster: AClusterManager) -> str:
    """The test's namespace, made before its operator starts: the only one that operator serves.
    The cluster is shared by the whole run, and the pools other tests left (real-node releases
    among them, some in namespaces being deleted) are not its to scale."""
    return new_namespace(cluster)


@pytest.fixture
def operator(
    cluster: AClusterManager, ns: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[KopfRunner]:
    install_crds(cluster)
    monkeypatch.setenv("KUBECONFIG", str(cluster.kubeconfig))
    args = ["run", f"--namespace={ns}", "--standalone", "-m", "celery_autoscaler.handlers"]
    with KopfRunner(args, timeout=60) as runner:
        yield runner
    assert runner.exception is None or isinstance(runner.exception, SystemExit)


def redis_secret(ns: str, url: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "redis"},
        "data": {"url": base64.b64encode(url.encode()).decode()},
    }


def pool_namespace(cluster: AClusterManager, redis_url: str, ns: str | None = None) -> str:
    """``ns`` (a fresh namespace by default) with the Redis Secret a WorkerPool names and a
    one-pod Deployment."""
    ns = ns or new_namespace(cluster)
    apply(cluster, redis_secret(ns, redis_url), namespace=ns)
    apply(cluster, deployment("worker", 1), namespace=ns)
    return ns


def replicas(cluster: AClusterManager, ns: str, name: str) -> int:
    return int(kubectl_json(cluster, "get", "deployment", name, "-n", ns)["spec"]["replicas"])


def condition(cluster: AClusterManager, ns: str, name: str, kind: str) -> dict[str, Any] | None:
    found = kubectl_json(cluster, "get", "workerpool", name, "-n", ns).get("status") or {}
    return next((c for c in found.get("conditions", []) if c["type"] == kind), None)


def events(cluster: AClusterManager, ns: str, reason: str) -> list[dict[str, Any]]:
    items = kubectl_json(cluster, "get", "events", "-n", ns)["items"]
    return [e for e in items if e.get("reason") == reason]


def test_backlog_scales_the_deployment_up_and_back_to_zero(
    cluster: AClusterManager, operator: KopfRunner, redis_server: RedisServer, ns: str
) -> None:
    queue = f"q{uuid.uuid4().hex[:6]}"
    apply(cluster, redis_secret(ns, redis_server.url), namespace=ns)
    apply(cluster, deployment("worker", 0), namespace=ns)
    apply(
        cluster,
        pool(
            "pool",
            deployment="worker",
            queues=[queue],
            maxReplicas=5,
            pollIntervalSeconds=2,
            behaviour={"scaleDown": {"stabilisationWindowSeconds": 0}, "cooldownToZeroSeconds": 4},
        ),
        namespace=ns,
    )
    app = Celery(broker=redis_server.url)
    app.conf.broker_transport_options = {"priority_steps": [0, 3, 6, 9]}
    for i in range(20):
        app.send_task("noop", queue=queue, priority=(0, 9)[i % 2])
    app.close()
    wait_for(lambda: replicas(cluster, ns, "worker") == 4, timeout=90, what="scale-up to 4")
    status = wait_for(
        lambda: kubectl_json(cluster, "get", "workerpool", "pool", "-n", ns).get("status"),
        what="the pool's status",
    )
    assert status["lastSignals"]["ready"] == 20 and status["desiredReplicas"] == 4
    assert status["lastDecision"]["reason"] == "Backlog"
    client = redis.Redis.from_url(redis_server.url)
    client.delete(queue, f"{queue}\x06\x169")
    client.close()
    wait_for(lambda: replicas(cluster, ns, "worker") == 0, timeout=120, what="scale to zero")


def test_bad_spec_and_unknown_deployment_are_conditions_and_events(
    cluster: AClusterManager, operator: KopfRunner, redis_server: RedisServer, ns: str
) -> None:
    pool_namespace(cluster, redis_server.url, ns)
    apply(
        cluster,
        pool("backwards", deployment="worker", minReplicas=4, maxReplicas=2, pollIntervalSeconds=2),
        namespace=ns,
    )
    apply(cluster, pool("orphan", deployment="nowhere", pollIntervalSeconds=2), namespace=ns)
    bad = wait_for(
        lambda: condition(cluster, ns, "backwards", "Ready"),
        timeout=60,
        what="a Ready condition on the bad pool",
    )
    assert bad["status"] == "False" and bad["reason"] == "InvalidSpec"
    assert "maxReplicas 2 < minReplicas 4" in bad["message"]
    orphan = wait_for(
        lambda: condition(cluster, ns, "orphan", "Ready"),
        timeout=60,
        what="a Ready condition on the orphan pool",
    )
    assert orphan["reason"] == "DeploymentNotFound"
    wait_for(
        lambda: events(cluster, ns, "InvalidSpec") and events(cluster, ns, "DeploymentNotFound"),
        timeout=60,
        what="the Events",
    )
    assert replicas(cluster, ns, "worker") == 1  # untouched
    assert len(events(cluster, ns, "InvalidSpec")) == 1  # once, not once per poll


def _replica(
    cluster: AClusterManager, peering: str, priority: int, log: Path, lease_ns: str
) -> subprocess.Popen[bytes]:
    """One operator replica, a process of its own as in a Deployment with two replicas."""
    env = {
        **os.environ,
        "KUBECONFIG": str(cluster.kubeconfig),
        "OPERATOR_LEASE_NAMESPACE": lease_ns,
        "POD_ID": f"replica-{priority}",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "kopf", "run", "-A", "--peering", peering,
             "--priority", str(priority), "-m", "celery_autoscaler.handlers"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def test_of_two_replicas_only_the_higher_priority_acts(
    cluster: AClusterManager, tmp_path: Path, redis_server: RedisServer
) -> None:
    install_crds(cluster)
    ns = pool_namespace(cluster, redis_server.url)
    apply(cluster, pool("shared", deployment="worker", pollIntervalSeconds=2), namespace=ns)
    name = f"peering-{uuid.uuid4().hex[:6]}"
    apply(
        cluster,
        {"apiVersion": "kopf.dev/v1", "kind": "ClusterKopfPeering", "metadata": {"name": name}},
    )
    low_log, high_log = tmp_path / "replica-100.log", tmp_path / "replica-200.log"
    reconciled = f"[{ns}/shared] Timer 'reconcile_pool' succeeded".encode()

    def peers() -> list[int]:
        status = kubectl_json(cluster, "get", "clusterkopfpeering", name).get("status", {})
        return sorted(p["priority"] for p in status.values())

    # The higher replica runs first. Kopf's peering has a handover window: a replica that
    # registers before any higher peer acts until it sees one, so both starting at once would
    # make the check depend on which process wins the race rather than on the peering itself.
    replicas = [_replica(cluster, name, 200, high_log, ns)]
    try:
        wait_for(lambda: peers() == [200], timeout=120, what="the higher replica registered")
        wait_for(
            lambda: reconciled in high_log.read_bytes(),
            timeout=120,
            what="the higher replica reconciling the pool",
        )
        replicas.append(_replica(cluster, name, 100, low_log, ns))
        wait_for(lambda: peers() == [100, 200], timeout=120, what="both replicas registered")
        # The lower replica is in the peering object and alive; the higher one goes on
        # reconciling the pool several times since.
        seen = high_log.read_bytes().count(reconciled)
        wait_for(
            lambda: high_log.read_bytes().count(reconciled) >= seen + 3,
            timeout=120,
            what="the higher-priority replica to reconcile the pool",
        )
        # Read while both still run: once the higher one stops, the lower one takes over, as
        # it should.
        low_while_both_ran = low_log.read_bytes()
    finally:
        for proc in reversed(replicas):  # the lower one first, so it never sees itself alone
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
    # The lower one never acted on it: a pool is scaled by one replica only.
    assert reconciled not in low_while_both_ran, low_while_both_ran.decode()[-3000:]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def test_a_replica_without_the_lease_never_acts_until_the_holder_lapses(
    cluster: AClusterManager, tmp_path: Path, redis_server: RedisServer
) -> None:
    """Peering's window closed: a replica alone in its peering object (so peering lets it act)
    still does not reconcile while another holder keeps renewing the Lease, and takes over
    only once the holder has stopped renewing for a whole lease duration."""
    install_crds(cluster)
    ns = pool_namespace(cluster, redis_server.url)
    apply(cluster, pool("leased", deployment="worker", pollIntervalSeconds=2), namespace=ns)
    name = f"peering-{uuid.uuid4().hex[:6]}"
    apply(
        cluster,
        {"apiVersion": "kopf.dev/v1", "kind": "ClusterKopfPeering", "metadata": {"name": name}},
    )
    renewals = iter(range(1_000_000))

    def renew_as_other_holder() -> None:
        second = next(renewals)
        stamp = f"2026-01-01T00:{second // 60 % 60:02d}:{second % 60:02d}.000000Z"
        apply(
            cluster,
            {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": name},
                "spec": {
                    "holderIdentity": "another-replica",
                    "leaseDurationSeconds": 15,
                    "renewTime": stamp,
                },
            },
            namespace=ns,
        )

    def decided() -> bool:
        status = kubectl_json(cluster, "get", "workerpool", "leased", "-n", ns).get("status")
        return bool((status or {}).get("lastDecision"))

    renew_as_other_holder()
    log = tmp_path / "replica.log"
    timer_ran = f"[{ns}/leased] Timer 'reconcile_pool' succeeded".encode()
    waiting = b"the Lease is held by another-replica: not acting"
    proc = _replica(cluster, name, 100, log, ns)
    try:
        # Renewed on every check: the replica sees the holder alive and its timer runs
        # several times past the Lease check without reconciling.
        wait_for(
            lambda: (
                renew_as_other_holder() is None
                and waiting in log.read_bytes()
                and log.read_bytes().split(waiting, 1)[1].count(timer_ran) >= 5
            ),
            timeout=120,
            interval=1.0,  # each check renews with kubectl: no need for ten a second
            what="the replica to check the Lease several times",
        )
        assert not decided()
        assert replicas(cluster, ns, "worker") == 1
        # The holder stops renewing: the replica takes the Lease over and reconciles.
        wait_for(decided, timeout=120, interval=1.0, what="the replica to take the Lease over")
        lease = kubectl_json(cluster, "get", "lease", name, "-n", ns)
        assert lease["spec"]["holderIdentity"] == "replica-100"
    finally:
        _stop(proc)


def test_scale_in_removes_only_idle_workers(
    cluster: AClusterManager, operator: KopfRunner, redis_server: RedisServer, ns: str
) -> None:
    """Two of four workers report busy: the pool goes to two, and the ReplicaSet deletes the
    two idle pods the operator marked with a low pod-deletion-cost."""
    queue = f"q{uuid.uuid4().hex[:6]}"
    apply(cluster, redis_secret(ns, redis_server.url), namespace=ns)
    apply(cluster, deployment("worker", 4), namespace=ns)
    pods = wait_for_ready_pods(cluster, ns, "worker", 4, timeout=180)
    busy = sorted(pods)[:2]  # the other two report idle
    client = redis.Redis.from_url(redis_server.url)
    for pod in pods:
        state = WorkerState(active=1 if pod in busy else 0, reserved=0)
        write_heartbeat(client, f"celery@{pod}", [queue], 1, state, ttl=600)
    try:
        apply(
            cluster,
            pool(
                "pool",
                deployment="worker",
                queues=[queue],
                maxReplicas=4,
                pollIntervalSeconds=2,
                behaviour={
                    "scaleDown": {"stabilisationWindowSeconds": 0},
                    "cooldownToZeroSeconds": 3600,
                },
            ),
            namespace=ns,
        )
        wait_for(lambda: replicas(cluster, ns, "worker") == 2, timeout=90, what="scale-in to 2")
        left = wait_for(
            lambda: len(p := all_pods(cluster, ns, "worker")) == 2 and p,
            timeout=90,
            what="two pods left",
        )
        assert sorted(left) == busy
        notes = [
            kubectl_json(cluster, "get", "pod", p, "-n", ns)["metadata"].get("annotations") or {}
            for p in left
        ]
        assert not any(DELETION_COST in n for n in notes)
    finally:
        for pod in pods:
            remove_heartbeat(client, f"celery@{pod}")
        client.close()


def test_an_hpa_on_the_same_deployment_is_reported_not_fought(
    cluster: AClusterManager, operator: KopfRunner, redis_server: RedisServer, ns: str
) -> None:
    pool_namespace(cluster, redis_server.url, ns)
    apply(
        cluster,
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "other"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "worker"},
                "minReplicas": 1,
                "maxReplicas": 3,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 80},
                        },
                    }
                ],
            },
        },
        namespace=ns,
    )
    apply(
        cluster,
        pool("pool", deployment="worker", minReplicas=2, pollIntervalSeconds=2),
        namespace=ns,
    )
    found = wait_for(
        lambda: condition(cluster, ns, "pool", "ScalerConflict"),
        timeout=60,
        what="a ScalerConflict condition",
    )
    assert found["status"] == "True" and "HorizontalPodAutoscaler/other" in found["message"]
    wait_for(lambda: events(cluster, ns, "ScalerConflict"), timeout=60, what="the Event")
    assert replicas(cluster, ns, "worker") == 1  # minReplicas 2 not applied: not ours to scale


def test_a_paused_pool_is_left_alone(
    cluster: AClusterManager, operator: KopfRunner, redis_server: RedisServer, ns: str
) -> None:
    queue = f"q{uuid.uuid4().hex[:6]}"
    apply(cluster, redis_secret(ns, redis_server.url), namespace=ns)
    apply(cluster, deployment("worker", 1), namespace=ns)
    client = redis.Redis.from_url(redis_server.url)
    client.lpush(queue, *[b"{}"] * 30)  # a backlog that would ask for 5 replicas
    try:
        paused = pool("pool", deployment="worker", queues=[queue], pollIntervalSeconds=2)
        paused["metadata"]["annotations"] = {"autoscaling.jobplatform.dev/paused": "true"}
        apply(cluster, paused, namespace=ns)
        found = wait_for(
            lambda: condition(cluster, ns, "pool", "Paused"), timeout=60, what="a Paused condition"
        )
        assert found["status"] == "True"
        assert replicas(cluster, ns, "worker") == 1
        cluster.kubectl(
            ["-n", ns, "annotate", "workerpool", "pool", "autoscaling.jobplatform.dev/paused-"],
            as_dict=False,
        )
        wait_for(lambda: replicas(cluster, ns, "worker") == 5, timeout=60, what="unpaused scale-up")
    finally:
        client.delete(queue)
        client.close()
