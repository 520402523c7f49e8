"""The demo's autoscaled worker pool: the operator's probe and policy drive local workers.

The same `decide` the operator runs in a cluster, fed by the same Redis probe, applied by the
local actuator to platform worker processes instead of a Deployment (`--hostname
<name>@local`, so the idle workers the policy names for scale-in are the processes that stop).
Every decision that changes the replicas or the reason is printed as it happens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import redis

from celery_autoscaler.actuators.local import LocalProcessActuator
from celery_autoscaler.policy import Decision, History, Observation, PoolSpec, decide
from celery_autoscaler.signals.layout import Layout
from celery_autoscaler.signals.probe import RedisProbe
from devstack.processes import PlatformEnv, PlatformProcess, spawn_worker

# Small and quick so the demo shows a whole cycle within a minute: one worker always (the
# sample jobs need no cold start), up to four, back down a few seconds after the queue empties.
DEMO_SPEC = PoolSpec(
    min_replicas=1,
    max_replicas=4,
    backlog_per_replica=2,
    cooldown_to_zero_seconds=10,
    pod_start_seconds=5,
)
DEMO_SPEC = replace(DEMO_SPEC, scale_down=replace(DEMO_SPEC.scale_down, stabilisation_seconds=6))


@dataclass
class LocalWorker:
    """A platform worker process as the local actuator sees it."""

    process: PlatformProcess
    hostname: str  # what its heartbeat reports and the policy names

    def stop(self) -> None:
        self.process.stop()  # SIGTERM: Celery's warm shutdown, a running task finishes first


def describe(obs: Observation, current: int, decision: Decision) -> str:
    drain = f" drain {','.join(decision.drain)}" if decision.drain else ""
    return (
        f"ready={obs.ready} reserved={obs.reserved} busy={len(obs.busy_workers)} "
        f"idle={len(obs.idle_workers)} replicas {current} -> {decision.replicas} "
        f"({decision.reason}){drain}"
    )


@dataclass
class AutoscaledPool:
    env: PlatformEnv
    queue: str
    say: Callable[[str], None]
    spec: PoolSpec = DEMO_SPEC
    poll_seconds: float = 2.0
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)
    _last: tuple[int, str] | None = field(default=None, init=False)
    replicas: int = field(default=0, init=False)  # after the last decision, for the caller

    def __post_init__(self) -> None:
        self._local = LocalProcessActuator(self._start_worker)

    def _start_worker(self, serial: int) -> LocalWorker:
        name = f"worker-{self.queue}-{serial}"
        return LocalWorker(spawn_worker(self.env, self.queue, 1, name), f"{name}@local")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"autoscaler-{self.queue}")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=120)
        self._local.scale(0)

    def _run(self) -> None:
        client = redis.Redis.from_url(self.env.redis_url)
        probe = RedisProbe(client, Layout(queues=(self.queue,)))
        history = History()
        try:
            while not self._stop.is_set():
                now = time.time()
                obs = probe.poll(now)
                current = self._local.replicas
                decision, history = decide(self.spec, obs, current, history, now)
                if (decision.replicas, decision.reason) != self._last or (
                    decision.replicas != current
                ):
                    self._last = (decision.replicas, decision.reason)
                    self.say(f"autoscaler {self.queue}: {describe(obs, current, decision)}")
                self._local.scale(decision.replicas, decision.drain)
                self.replicas = self._local.replicas
                self._stop.wait(self.poll_seconds)
        finally:
            client.close()
