"""The raw recommendation: the largest of the four demands, before bounds and windows."""

from __future__ import annotations

import math

from celery_autoscaler.policy.decision import Reason
from celery_autoscaler.policy.observation import Observation
from celery_autoscaler.policy.spec import PoolSpec


def components(spec: PoolSpec, obs: Observation, current: int) -> dict[Reason, int]:
    """Replicas each signal asks for on its own.

    - backlog: ready and reserved messages over the per-replica target (ETA messages are not
      runnable yet, so they do not ask for workers);
    - latency: if the oldest ready message waited longer than the target, grow in proportion
      (at least one more replica), since the current pool is too slow for the arrival rate;
    - throughput: arrival rate x service time / concurrency (Little's law), so a steady stream
      of short tasks keeps enough replicas even when the backlog looks small (only while the
      pool runs: the rates are a trailing window, and a pool at zero starts on real backlog);
    - busy workers: never fewer replicas than workers running a task.
    """
    backlog = math.ceil((obs.ready + obs.reserved) / spec.backlog_per_replica)
    latency = 0
    age = obs.oldest_ready_age
    if age is not None and age > spec.max_wait_seconds and obs.ready > 0:
        latency = max(current + 1, math.ceil(current * age / spec.max_wait_seconds))
    throughput = 0
    service = obs.rates.service_seconds
    if service is not None and obs.rates.arrival > 0 and current > 0:
        throughput = math.ceil(obs.rates.arrival * service / spec.concurrency - 1e-9)
    return {
        Reason.BACKLOG: backlog,
        Reason.LATENCY: latency,
        Reason.THROUGHPUT: throughput,
        Reason.BUSY_WORKERS: len(obs.busy_workers),
    }


def strongest(parts: dict[Reason, int]) -> tuple[int, Reason]:
    reason = max(parts, key=lambda r: parts[r])  # ties go to the first listed: backlog
    return parts[reason], reason
