"""`make demo-autoscaling`: a burst of jobs, workers started and stopped by the policy.

Starts a throwaway Redis, publishes bursts with a plain Celery client, and every poll prints
what the probe saw and what the policy decided; scale-in stops the idle workers it names.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import redis
from celery import Celery

from celery_autoscaler.actuators.local import LocalProcessActuator
from celery_autoscaler.policy import History, PoolSpec, decide
from celery_autoscaler.signals.layout import Layout
from celery_autoscaler.signals.probe import RedisProbe
from devstack.local_servers import RedisServer

SPEC = PoolSpec(min_replicas=0, max_replicas=6, backlog_per_replica=4, cooldown_to_zero_seconds=10)
SPEC = replace(SPEC, scale_down=replace(SPEC.scale_down, stabilisation_seconds=5))


@dataclass
class WorkerProcess:
    hostname: str
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.proc.terminate()  # Celery's warm shutdown: a running task finishes first
        self.proc.wait(timeout=120)


def starter(url: str, logs: Path) -> object:
    def start(n: int) -> WorkerProcess:
        name = f"demo-{n}@local"
        env = {**os.environ, "DEMO_BROKER": url}
        cmd = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "celery_autoscaler.demo.app",
            "worker",
            "-Q",
            "demo",
            "-c",
            "1",
            "-n",
            name,
            "--without-gossip",
            "--without-mingle",
        ]
        log = (logs / f"{name}.log").open("wb")
        return WorkerProcess(name, subprocess.Popen(cmd, env=env, stdout=log, stderr=log))

    return start


def publish(url: str, count: int, seconds: float) -> None:
    app = Celery(broker=url)
    app.conf.broker_transport_options = {"priority_steps": [0, 3, 6, 9]}
    for i in range(count):
        app.send_task(
            "demo.work",
            (seconds,),
            queue="demo",
            priority=(0, 9)[i % 2],
            headers={"published_at": time.time()},
        )
    app.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="demo-autoscaling")
    parser.add_argument("--seconds", type=float, default=90)
    parser.add_argument("--poll", type=float, default=2)
    args = parser.parse_args()
    logs = Path(tempfile.mkdtemp(prefix="autoscaling-demo-"))
    server = RedisServer().start()
    local = LocalProcessActuator(starter(server.url, logs))  # type: ignore[arg-type]
    try:
        client = redis.Redis.from_url(server.url)
        probe = RedisProbe(client, Layout(queues=("demo",)))
        history, start = History(), time.time()
        publish(server.url, 30, 2.0)
        print(f"published 30 jobs of 2 s (half at priority 9); worker logs in {logs}", flush=True)
        while time.time() - start < args.seconds:
            now = time.time()
            obs = probe.poll(now)
            decision, history = decide(SPEC, obs, local.replicas, history, now)
            print(
                f"t={now - start:5.1f}s ready={obs.ready:3} reserved={obs.reserved:2} "
                f"busy={len(obs.busy_workers)} idle={len(obs.idle_workers)} "
                f"replicas {local.replicas} -> {decision.replicas} ({decision.reason})"
                + (f" drain {','.join(decision.drain)}" if decision.drain else ""),
                flush=True,
            )
            local.scale(decision.replicas, decision.drain)
            time.sleep(args.poll)
    finally:
        local.scale(0)
        server.close()


if __name__ == "__main__":
    main()
