"""The operator's Prometheus metrics. Labels are namespace and pool only: no tenant data."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

SIGNAL = Gauge(
    "jobplatform_operator_signal",
    "Last polled signal per pool (ready, reserved, scheduled, busy_workers, ...).",
    ["namespace", "pool", "signal"],
)
REPLICAS = Gauge(
    "jobplatform_operator_replicas", "Current and desired replicas.", ["namespace", "pool", "kind"]
)
DECISIONS = Counter(
    "jobplatform_operator_decisions_total", "Decisions by reason.", ["namespace", "pool", "reason"]
)
PROBE_ERRORS = Counter(
    "jobplatform_operator_probe_errors_total", "Failed Redis polls.", ["namespace", "pool"]
)
PROBE_SECONDS = Histogram(
    "jobplatform_operator_probe_seconds", "One Redis poll (one pipelined round trip)."
)
RECONCILE_SECONDS = Histogram(
    "jobplatform_operator_reconcile_seconds", "One WorkerPool reconcile, poll to status."
)


def record_signals(namespace: str, pool: str, signals: dict[str, object]) -> None:
    for name, value in signals.items():
        if isinstance(value, int | float):
            SIGNAL.labels(namespace, pool, name).set(value)


WATCH_READS = Counter(
    "jobplatform_operator_burst_watch_reads_total",
    "Burst-watch reads of the new-job counters (one small script call each).",
)
WATCH_POLLS = Counter(
    "jobplatform_operator_burst_watch_polls_total",
    "Full polls the burst watch started between regular polls.",
)
