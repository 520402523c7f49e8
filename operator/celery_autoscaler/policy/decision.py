"""What the policy decided, and why, in terms the status, Events and metrics can show."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Reason(StrEnum):
    BACKLOG = "Backlog"
    LATENCY = "Latency"
    THROUGHPUT = "Throughput"
    BUSY_WORKERS = "BusyWorkers"
    OFFERED_LOAD = "OfferedLoad"  # kept for the arrival rate: no slack below it
    MIN_REPLICAS = "MinReplicas"
    MAX_REPLICAS = "MaxReplicas"
    STABILISING = "Stabilising"
    STEP_LIMITED = "StepLimited"
    IDLE_TO_ZERO = "IdleToZero"
    COOLDOWN = "Cooldown"
    SIGNALS_MISSING = "SignalsMissing"
    FALLBACK = "Fallback"
    RETRY_STORM_HOLD = "RetryStormHold"
    DRAIN_LIMITED = "DrainLimited"
    PAUSED = "Paused"
    INVALID_SPEC = "InvalidSpec"


ALERT_TYPES = (
    "RetryStorm",
    "QueueCongestion",
    "WorkerCrashLoop",
    "WorkersMissing",
    "ProbeFailing",
    "ScaleLimitReached",
)


@dataclass(frozen=True, slots=True)
class AlertSignal:
    """An alert condition that holds now; the alerts module turns it into a QueueAlert."""

    type: str
    queue: str  # "" when the alert is about the pool as a whole
    severity: str
    message: str


@dataclass(frozen=True, slots=True)
class Decision:
    replicas: int
    reason: Reason
    drain: tuple[str, ...] = ()  # hostnames (= pod names) to mark cheap before lowering
    alerts: tuple[AlertSignal, ...] = ()
    conditions: dict[str, bool] = field(default_factory=dict)
    components: dict[str, int] = field(default_factory=dict)  # each term of the max, for status
    message: str = ""  # for a person reading the status: what is wrong with the spec
