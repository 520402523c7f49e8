"""``make bench`` step: the operator's cost with 100 WorkerPools on kwok nodes.

Starts the test cluster's control plane with kwok nodes only (never the real node: another run
may be using it), one real Redis on loopback, 100 WorkerPools each with its Deployment and its
own queue (a quarter with a backlog that asks for two replicas), and the operator as its own
process (`jobplatform-operator --standalone`). Once every pool has been decided on, it
measures over a fixed window:

- the operator's CPU seconds (user + system of the process, from /proc/<pid>/stat);
- the pool polls it made (`jobplatform_operator_decisions_total`, summed, from its metrics);
- Redis commands and read events (`INFO stats` total_commands_processed and
  total_reads_processed: one read event per round trip for requests this small), less the
  benchmark's own INFO calls.

One poll cycle = every pool polled once. Writes docs/benchmarks/operator.md; stops everything.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path
from typing import Any

import redis
from celery import Celery

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
sys.path.insert(0, str(TESTS))

from cluster.harness.controlplane import ControlPlane, provide_binaries  # noqa: E402
from cluster.harness.startup import free_port  # noqa: E402
from cluster.k8s_helpers import PAUSE_IMAGE  # noqa: E402
from devstack.local_servers import RedisServer  # noqa: E402
from devstack.wait import wait_for  # noqa: E402

NAMESPACE = "bench-operator"
GROUP = "autoscaling.jobplatform.dev"
CRDS = ROOT / "operator" / "crds"
POLL_SECONDS = 10  # the WorkerPool default, said explicitly
BACKLOG_EVERY = 4  # every 4th pool has a backlog of 8 messages: two replicas at 5 per replica
BINDING_SEP = "\x06\x16"


def manifests(pools: int) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for i in range(pools):
        name = f"pool-{i:03d}"
        items.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": name, "namespace": NAMESPACE},
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": {"app": name}},
                    "template": {
                        "metadata": {"labels": {"app": name}},
                        "spec": {"containers": [{"name": "pause", "image": PAUSE_IMAGE}]},
                    },
                },
            }
        )
        items.append(
            {
                "apiVersion": f"{GROUP}/v1alpha1",
                "kind": "WorkerPool",
                "metadata": {"name": name, "namespace": NAMESPACE},
                "spec": {
                    "deployment": name,
                    "queues": [queue_name(i)],
                    "minReplicas": 1,
                    "maxReplicas": 3,
                    "pollIntervalSeconds": POLL_SECONDS,
                    "redis": {"secretRef": {"name": "redis"}},
                },
            }
        )
    return {"apiVersion": "v1", "kind": "List", "items": items}


def queue_name(i: int) -> str:
    return f"bench-q{i:03d}"


def fill_redis(url: str, pools: int) -> None:
    """Every queue bound (as a Celery app declares it); every 4th with 8 messages."""
    client = redis.Redis.from_url(url)
    for i in range(pools):
        q = queue_name(i)
        client.sadd(f"_kombu.binding.{q}", f"{q}{BINDING_SEP}{BINDING_SEP}{q}")
    client.close()
    app = Celery(broker=url)
    app.conf.broker_transport_options = {"priority_steps": [0, 3, 6, 9]}
    for i in range(0, pools, BACKLOG_EVERY):
        for n in range(8):
            app.send_task("bench.noop", queue=queue_name(i), priority=(0, 9)[n % 2])
    app.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def metric_total(port: int, name: str) -> float:
    """A counter of the operator's metrics endpoint, summed over its labels."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith((f"{name}{{", f"{name} "))
    )


def decisions(port: int) -> float:
    return metric_total(port, "jobplatform_operator_decisions_total")


def watch_reads(port: int) -> float:
    return metric_total(port, "jobplatform_operator_burst_watch_reads_total")


def redis_counts(client: redis.Redis[bytes]) -> tuple[int, int]:
    stats = client.info("stats")
    return int(stats["total_commands_processed"]), int(stats["total_reads_processed"])


def operator_connections(client: redis.Redis[bytes], own: int) -> int:
    return sum(1 for c in client.client_list() if int(c["id"]) != own)


def status_items(plane: ControlPlane) -> list[dict[str, Any]]:
    out = plane.kubectl("get", "workerpools", "-n", NAMESPACE, "-o", "json")
    items: list[dict[str, Any]] = json.loads(out)["items"]
    return items


def measure(plane: ControlPlane, redis_url: str, pools: int, seconds: float) -> dict[str, Any]:
    plane.kubectl("create", "namespace", NAMESPACE)
    for path in sorted(CRDS.glob("*.yaml")):
        plane.kubectl("apply", "-f", str(path))
    for plural in ("workerpools", "queuealerts"):
        plane.kubectl("wait", "--for=condition=Established", f"crd/{plural}.{GROUP}")
    plane.kubectl(
        "create", "secret", "generic", "redis", "-n", NAMESPACE, f"--from-literal=url={redis_url}"
    )
    fill_redis(redis_url, pools)
    plane.kubectl("apply", "-f", "-", input=json.dumps(manifests(pools)))
    metrics_port = free_port()
    env = {
        **os.environ,
        "KUBECONFIG": str(plane.admin_kubeconfig),
        "OPERATOR_NAMESPACES": NAMESPACE,
        "OPERATOR_METRICS_PORT": str(metrics_port),
    }
    log = (plane.logs / "operator.log").open("ab")
    operator = subprocess.Popen(
        [str(Path(sys.executable).parent / "jobplatform-operator"), "--standalone"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        started = time.monotonic()
        scaled = pools // BACKLOG_EVERY + (pools % BACKLOG_EVERY > 0)

        def settled() -> bool:
            if operator.poll() is not None:
                raise RuntimeError(f"the operator exited; log in {plane.logs / 'operator.log'}")
            items = status_items(plane)
            decided = [i for i in items if (i.get("status") or {}).get("lastDecision")]
            two = [i for i in decided if (i.get("status") or {}).get("desiredReplicas") == 2]
            return len(decided) == pools and len(two) == scaled

        wait_for(settled, timeout=600, interval=2, what=f"the operator to decide on {pools} pools")
        warm_up = time.monotonic() - started
        client = redis.Redis.from_url(redis_url)
        own = int(client.client_id())
        connections = operator_connections(client, own)
        cpu0, d0 = cpu_seconds(operator.pid), decisions(metrics_port)
        w0 = watch_reads(metrics_port)
        c0, r0 = redis_counts(client)
        t0 = time.monotonic()
        time.sleep(seconds)  # the measuring window itself, not a wait for a state
        cpu1, d1 = cpu_seconds(operator.pid), decisions(metrics_port)
        w1 = watch_reads(metrics_port)
        c1, r1 = redis_counts(client)
        elapsed = time.monotonic() - t0
        client.close()
        polls = d1 - d0
        cycles = polls / pools
        # Our own INFO calls: the second one is counted, and read, before it answers; the
        # metrics and CPU reads between them are not Redis.
        commands, reads = c1 - c0 - 1, r1 - r0 - 1
        return {
            "pools": pools,
            "window_seconds": elapsed,
            "warm_up_seconds": warm_up,
            "polls": polls,
            "cycles": cycles,
            "cpu_seconds": cpu1 - cpu0,
            "cpu_per_cycle": (cpu1 - cpu0) / cycles,
            "cpu_per_poll_ms": 1000 * (cpu1 - cpu0) / polls,
            "cpu_share": (cpu1 - cpu0) / elapsed,
            "commands_per_cycle": commands / cycles,
            "reads_per_cycle": reads / cycles,
            "commands_per_poll": commands / polls,
            "reads_per_poll": reads / polls,
            "connections": connections,
            "watch_reads_per_cycle": (w1 - w0) / cycles,
            "watch_reads_per_second": (w1 - w0) / elapsed,
            "pods": len(plane.kubectl("get", "pods", "-n", NAMESPACE, "-o", "name").split()),
        }
    finally:
        os.killpg(operator.pid, signal.SIGTERM)
        try:
            operator.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(operator.pid, signal.SIGKILL)
            operator.wait(timeout=10)
        log.close()


def _wrap(text: str) -> str:
    return textwrap.fill(" ".join(text.split()), width=92)


def report(r: dict[str, Any], command: str) -> str:
    setup = f"""A real kube-apiserver, controller-manager and scheduler with kwok nodes (no real
        node), one real Redis on loopback, and the operator as its own process
        (`jobplatform-operator --standalone`). Each WorkerPool has its own Deployment and queue;
        every {BACKLOG_EVERY}th queue holds 8 messages (two replicas), the others are bound and
        empty (minReplicas 1); pollIntervalSeconds {POLL_SECONDS}. Measured over
        {r["window_seconds"]:.0f} s once every pool had been decided on (after
        {r["warm_up_seconds"]:.0f} s). One poll cycle = every pool polled once. The machine is
        shared ({platform.machine()}, {os.cpu_count()} CPUs, other work running): CPU figures
        vary between runs."""
    redis_note = """A pool poll is one pipelined round trip (LLEN and LINDEX per priority list,
        EXISTS of the binding, HMGET of the counters, two EVALs for `unacked` and the
        heartbeats); the commands inside the EVALs count too. Each pool has its own Redis
        client, so the connections grow with the pools (pools on one Redis could share one).
        Between a pool's polls the burst watch (behaviour.burstWatchSeconds, default 2 s) reads
        only the new-job counters: one EVAL for every queue of the pools on one Redis, shared
        by the pools' ticks within half a second (each pool reading its own on every tick
        whose poll is not due would be up to 40 reads/s for 100 pools); these reads are in the
        round trips and commands above (no queue here keeps the counter, so none fires and
        every poll is a regular one)."""
    cpu_note = """CPU covers everything the process does: the kopf timers (one per pool, every
        2 s, most of them only reading the new-job counters until the pool's poll is due), the
        Redis poll, the Kubernetes reads and the status patch of each poll."""
    return "\n".join(
        [
            f"# The operator with {r['pools']} WorkerPools",
            "",
            f"Generated by `{command}` (`make bench`).",
            "",
            _wrap(setup),
            "",
            "| figure | value |",
            "|---|---:|",
            f"| WorkerPools / pods | {r['pools']} / {r['pods']} |",
            f"| pool polls in the window | {r['polls']:.0f} ({r['cycles']:.1f} cycles) |",
            f"| operator CPU seconds per poll cycle | {r['cpu_per_cycle']:.2f} |",
            f"| operator CPU per pool poll (ms) | {r['cpu_per_poll_ms']:.1f} |",
            f"| operator CPU share of one core | {100 * r['cpu_share']:.0f} % |",
            f"| Redis round trips (read events) per poll cycle | {r['reads_per_cycle']:.0f} |",
            f"| Redis commands per poll cycle | {r['commands_per_cycle']:.0f} |",
            f"| Redis round trips / commands per pool poll | {r['reads_per_poll']:.2f} / "
            f"{r['commands_per_poll']:.1f} |",
            f"| Redis connections held by the operator | {r['connections']} |",
            f"| of the round trips: burst-watch reads per poll cycle | "
            f"{r['watch_reads_per_cycle']:.0f} ({r['watch_reads_per_second']:.0f}/s) |",
            "",
            _wrap(redis_note),
            "",
            _wrap(cpu_note),
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--report", type=Path, default=ROOT / "docs/benchmarks/operator.md")
    parser.add_argument("--pools", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--nodes", type=int, default=2)
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="jp-operator-bench-"))
    plane = ControlPlane(state, bin_dir=provide_binaries())
    server = RedisServer(append_only=False)
    try:
        plane.up(nodes=args.nodes, real_node=False)
        server.start()
        result = measure(plane, server.url, args.pools, args.seconds)
    finally:
        server.close()
        plane.down()
    shutil.rmtree(state, ignore_errors=True)  # kept on failure: the logs are in it
    command = (
        f"python tests/bench/operator_scale.py --pools {args.pools} --seconds {args.seconds:g}"
    )
    text = report(result, command)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
