"""A WorkerPool's scaling spec as the policy sees it (parsed from the CRD by the adapter)."""

from __future__ import annotations

from dataclasses import dataclass, field

from celery_autoscaler.policy.observation import DUE_SOON_SECONDS


@dataclass(frozen=True, slots=True)
class Behaviour:
    """HPA-like behaviour of one direction: a stabilisation window and a step limit per period.

    The allowed step is the larger of `pods` and `percent` of the replicas at the start of the
    period, as the HPA does with its default `selectPolicy: Max`.
    """

    stabilisation_seconds: float
    pods: int
    percent: int
    period_seconds: float


@dataclass(frozen=True, slots=True)
class PoolSpec:
    """Defaults are bolder than the HPA's: our backlog counts every priority list and the
    unacked messages, and scale-in removes only idle workers, so acting fast costs no work.
    The simulator (docs/benchmarks/autoscaling.md) is where they were chosen."""

    min_replicas: int = 0
    max_replicas: int = 10
    backlog_per_replica: float = 5.0  # ready + reserved messages one replica should carry
    max_wait_seconds: float = 30.0  # target age of the oldest ready message
    concurrency: int = 1  # Celery worker processes per replica
    scale_up: Behaviour = field(
        default_factory=lambda: Behaviour(
            stabilisation_seconds=0, pods=10, percent=200, period_seconds=15
        )
    )
    scale_down: Behaviour = field(
        default_factory=lambda: Behaviour(
            stabilisation_seconds=15, pods=10, percent=100, period_seconds=15
        )
    )
    cooldown_to_zero_seconds: float = 120.0
    # From a replica asked for to a worker taking tasks (image cached); a growing burst is
    # projected this far ahead, plus one poll interval.
    pod_start_seconds: float = 10.0
    # ETA messages (retries) due within this many seconds count as waiting: they are known
    # arrivals, and a pod kept or started for them is not a guess.
    eta_lookahead_seconds: float = 5.0
    # Never lower the pool below the offered load (arrival rate x service time / concurrency)
    # plus this margin, rounded up: at the offered load the queue has no slack, and a worker
    # removed there is asked back one poll and one pod start later, while messages wait.
    offered_load_margin: float = 0.2
    # Between full polls, read only the new-job counters this often and poll at once when they
    # show a burst (policy/burst_watch.py); 0 turns the watch off.
    burst_watch_seconds: float = 2.0
    fallback_replicas: int | None = None  # applied (never lower than current) when signals fail
    retry_storm_ratio: float = 1.0  # retries per success that counts as a storm
    retry_storm_min_rate: float = 0.5  # retries/s below which there is no storm
    hold_scale_up_on_retry_storm: bool = False
    paused: bool = False

    def problems(self) -> list[str]:
        """Spec errors the operator reports as a condition instead of acting on."""
        found = []
        if self.min_replicas < 0:
            found.append("minReplicas must be >= 0")
        if self.max_replicas < self.min_replicas:
            found.append(f"maxReplicas {self.max_replicas} < minReplicas {self.min_replicas}")
        if self.backlog_per_replica <= 0:
            found.append("targets.backlogPerReplica must be > 0")
        if self.pod_start_seconds < 0:
            found.append("behaviour.podStartSeconds must be >= 0")
        if not 0 <= self.eta_lookahead_seconds <= DUE_SOON_SECONDS:
            found.append(
                f"behaviour.etaLookaheadSeconds must be between 0 and {DUE_SOON_SECONDS:g}"
                " (the probe reports ETA messages that far ahead)"
            )
        if self.offered_load_margin < 0:
            found.append("behaviour.offeredLoadMargin must be >= 0")
        if self.burst_watch_seconds < 0:
            found.append("behaviour.burstWatchSeconds must be >= 0 (0 turns the watch off)")
        if self.concurrency < 1:
            found.append("targets.concurrency must be >= 1")
        return found
