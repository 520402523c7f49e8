"""``make bench`` step: our autoscaling policy against KEDA + HPA on replayed traces.

Writes docs/benchmarks/autoscaling.md and one PNG per trace next to it. Seeded: the same
command gives the same figures. Also measures the probe's cost as `unacked` grows.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

sys.path.insert(0, str(Path(__file__).resolve().parent))

from probe_cost import measure

from celery_autoscaler.policy import PoolSpec
from celery_autoscaler.signals.probe import UNACKED_EXACT_LIMIT
from celery_autoscaler.simulator.keda import KedaHpa
from celery_autoscaler.simulator.ours import Ours
from celery_autoscaler.simulator.run import Result, simulate
from celery_autoscaler.simulator.traces import TRACES, Trace

MAX_REPLICAS = 30
FITTING_MAX_REPLICAS = 40  # the burst trace's demand: 8 tasks/s of 5 s on one process each
# What limits each trace, from the traces and the tables' last columns (kept with the
# generator so that the report never loses it).
WHY_NOT_MET = [
    "Where the goal is not met, and what limits it:",
    "",
    "- burst: the first burst asks for 40 workers (8 tasks/s of 5 s) against maxReplicas 30,",
    "  for both scalers, so its queue grows whatever either does: the trace is out of reach",
    "  for any scaler capped at 30 (we ask for 30 at the first poll that sees it and the pods",
    "  serve 10 s later; what is left is the poll interval and the pod start). The trace is",
    "  unchanged; the last table runs it with maxReplicas 40 for both, where it fits.",
    "- long tasks: worker-seconds 0.94 to 1.04 here (0.93 to 1.09 on seeds 1 to 6; met on",
    "  seeds 1, 11 and 23), at a p95 0.12 to 0.15 of KEDA's. KEDA's pods are 97 to 99 % busy",
    "  because its queue stands at tens to over a hundred messages (p95 four to six minutes;",
    "  the `left queued` column is work its worker-seconds never paid for). Our busy",
    "  worker-seconds alone are 0.88 to 0.99 of KEDA's total here and 0.88 to 1.04 on seeds",
    "  1 to 6 (1.00 to 1.04 on seeds 4 to 6: there no scaler that does the same work in the",
    "  hour can spend less than KEDA). The rest is pods starting and idling between long",
    "  tasks. Waiting longer buys little: with the latency term off and every message the",
    "  busy workers reach within 60 s counted as served (p95 0.19 to 0.23 of KEDA's), seeds 3",
    "  to 7 stayed at 1.02 to 1.06. Matching KEDA's worker-seconds means letting its queue",
    "  stand.",
    "",
    "What changed the retry storm (p95 0.68 to 0.78 before, 0.44 to 0.47 now, three seeds) and",
    "the rest: (1) idle workers with nothing ready or due go without waiting out the",
    "scale-down window; (2) a scale-down never leaves fewer replicas than the offered load",
    "(arrival rate x service time) + 0.2, rounded up: at exactly the offered load a queue has",
    "no slack, and the removed worker is asked back a poll and a pod start later (in the",
    "storm's quiet hours the pool sat at 1 worker for an offered load of 1.0); (3) retries due",
    "within 5 s count as waiting; (4) the throughput term adds workers only when two polls in",
    "a row ask (it is a trailing estimate: one noisy poll started pods the next poll removed);",
    "(5) the latency and throughput terms count only the ready messages beyond the busy",
    "workers' reach (ready minus completion rate x pod start: those the running workers take",
    "before a new pod would serve), and latency grows the pool by at most what those ask for.",
    "(5) took long tasks' worker-seconds from 0.93-1.10 to 0.93-1.09 (seed 7: 1.056 to",
    "1.042, part of it work left for after the hour: 15 ready messages at its end, 4",
    "before) and diurnal seed 7 from 1.001 to 0.993, at the same p95 ratios to within 0.01;",
    "retry storm unchanged, burst within 0.001.",
    "Checked on seeds the defaults were not chosen on (1 to 6): goal met in 13 of 24 runs;",
    "the misses are the burst (all six, as above) and the long tasks' worker-seconds (seeds",
    "2 to 6). Retry storm and diurnal: met on all six.",
]


def plot(trace: Trace, results: list[Result], path: Path) -> None:
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5), sharex=True)
    for r in results:
        t = [s[0] for s in r.series]
        top.plot(t, [s[1] for s in r.series], label=f"{r.name} pods", lw=1)
        bottom.plot(t, [s[3] for s in r.series], label=f"{r.name} ready", lw=1)
    top.set_ylabel("pods")
    bottom.set_ylabel("ready messages")
    bottom.set_xlabel("seconds")
    top.legend(loc="upper right")
    bottom.legend(loc="upper right")
    fig.suptitle(f"{trace.name}: {len(trace.tasks)} tasks")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def goal_met(ours: Result, keda: Result) -> bool:
    return (
        ours.p95_wait <= 0.5 * keda.p95_wait
        and ours.worker_seconds <= keda.worker_seconds
        and ours.interrupted == 0
    )


def seed_rows(seed: int, max_replicas: int = MAX_REPLICAS, only: tuple[str, ...] = ()) -> list[str]:
    """One summary row per trace for one more seed (the traces and pod choices change)."""
    rows = []
    for name, make in TRACES.items():
        if only and name not in only:
            continue
        ours = simulate(make(seed), Ours(PoolSpec(max_replicas=max_replicas)), "ours", seed)
        keda = simulate(make(seed), KedaHpa(max_replicas=max_replicas), "keda+hpa", seed)
        rows.append(
            f"| {seed} | {name} | {ours.p95_wait:.1f} / {keda.p95_wait:.1f} "
            f"| {ours.p95_wait / max(keda.p95_wait, 1e-9):.2f} "
            f"| {ours.worker_seconds / keda.worker_seconds:.2f} "
            f"| {ours.interrupted} / {keda.interrupted} "
            f"| {'yes' if goal_met(ours, keda) else 'no'} "
            f"| {100 * busy_seconds(keda) / keda.worker_seconds:.0f} % "
            f"| {busy_seconds(ours) / keda.worker_seconds:.2f} "
            f"| {left_queued(ours)} / {left_queued(keda)} |"
        )
    return rows


def left_queued(r: Result) -> int:
    """Ready messages when the trace's hour ends: work the worker-seconds did not pay for."""
    return r.series[-1][3] if r.series else 0


def busy_seconds(r: Result) -> int:
    return sum(busy for _, _, busy, _ in r.series)


def run(out: Path, seed: int, with_probe: bool, more_seeds: tuple[int, ...] = ()) -> str:
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Autoscaling: our policy against KEDA + HPA",
        "",
        f"Generated by `python tests/bench/autoscaling.py --seed {seed}"
        + "".join(f" --more-seeds {s}" for s in more_seeds)
        + "` (`make bench`).",
        "Simulated pool: one Celery process per pod, prefetch 1, pods serve 10 s after creation,",
        f"maxReplicas {MAX_REPLICAS}, minReplicas 0. 30 % of messages use priorities 3/6/9.",
        "KEDA: Redis list scaler (LLEN of the plain key), pollingInterval 30 s, cooldownPeriod",
        "300 s, listLength 5, the metric read at each HPA sync (KEDA's metrics server asks the",
        "scaler per HPA request; `useCachedMetrics` is off by default); HPA: sync 15 s,",
        "tolerance 0.1, scale-down stabilisation 300 s,",
        "scale-up max(100 %, 4 pods) per 15 s, the ReplicaSet picks which pods go.",
        "Ours: the operator's `decide` with the WorkerPool defaults, polled every 10 s.",
        "",
        "| trace | scaler | p95 wait (s) | worker-seconds | busy workers interrupted "
        "| scale events |",
        "|---|---|---:|---:|---:|---:|",
    ]
    summary = []
    for name, make in TRACES.items():
        ours = simulate(make(seed), Ours(PoolSpec(max_replicas=MAX_REPLICAS)), "ours", seed)
        keda = simulate(make(seed), KedaHpa(max_replicas=MAX_REPLICAS), "keda+hpa", seed)
        for r in (ours, keda):
            lines.append(
                f"| {name} | {r.name} | {r.p95_wait:.1f} | {r.worker_seconds:.0f} | "
                f"{r.interrupted} | {r.scale_events} |"
            )
        summary.append(
            f"| {name} | {ours.p95_wait / max(keda.p95_wait, 1e-9):.2f} | "
            f"{ours.worker_seconds / keda.worker_seconds:.2f} |"
        )
        plot(make(seed), [ours, keda], out.parent / f"autoscaling-{name}.png")
    lines += [
        "",
        "Ratios (ours / KEDA): goal p95 <= 0.50 at worker-seconds <= 1.00.",
        "",
        "| trace | p95 wait | worker-seconds |",
        "|---|---:|---:|",
        *summary,
        "",
    ]
    if more_seeds:
        lines += [
            "",
            "Every seed (the traces' arrivals and durations and the ReplicaSet's random choice",
            "change with it):",
            "",
            "The last three columns: how busy KEDA's pods were; our busy worker-seconds alone",
            "over KEDA's worker-seconds, the least our ratio can be without leaving work undone",
            "(worker-seconds count only the trace's hour; KEDA ends some traces with messages",
            "still queued); and the ready messages left when the hour ends.",
            "",
            "| seed | trace | p95 wait ours / KEDA (s) | p95 ratio | worker-seconds ratio "
            "| busy interrupted ours / KEDA | goal met | KEDA pods busy "
            "| our busy / KEDA worker-seconds | left queued ours / KEDA |",
            "|---:|---|---:|---:|---:|---:|---|---:|---:|---:|",
        ]
        for s in (seed, *more_seeds):
            lines += seed_rows(s)
        lines += ["", *WHY_NOT_MET, ""]
        lines += [
            f"The burst with maxReplicas {FITTING_MAX_REPLICAS} for both scalers (the same trace;",
            "its demand of 40 workers now fits under the cap):",
            "",
            "| seed | trace | p95 wait ours / KEDA (s) | p95 ratio | worker-seconds ratio "
            "| busy interrupted ours / KEDA | goal met | KEDA pods busy "
            "| our busy / KEDA worker-seconds | left queued ours / KEDA |",
            "|---:|---|---:|---:|---:|---:|---|---:|---:|---:|",
        ]
        for s in (seed, *more_seeds):
            lines += seed_rows(s, FITTING_MAX_REPLICAS, ("burst",))
        lines.append("")
    lines += [f"![{n}](autoscaling-{n}.png)" for n in TRACES] + [""]
    if with_probe:
        lines += [
            "## Probe cost as `unacked` grows (real Redis, loopback, median of 5)",
            "",
            f"Exact up to {UNACKED_EXACT_LIMIT} entries; above, a sample of that many entries",
            "(HRANDFIELD) scaled to the hash, so the time Redis spends in the script stops",
            "growing. The alternative is HVALS and a JSON parse per entry in the operator.",
            "The machine is shared (2 vCPU, other builds running): compare columns, not runs.",
            "",
            "| unacked entries | unacked size (MB) | one probe poll (ms) "
            "| HVALS + parse in Python (ms) |",
            "|---:|---:|---:|---:|",
        ]
        for row in measure():
            lines.append(
                f"| {row['entries']:.0f} | {row['unacked_mb']:.1f} | "
                f"{row['probe_ms']:.1f} | {row['hvals_parse_ms']:.1f} |"
            )
        lines.append("")
    text = "\n".join(lines)
    out.write_text(text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--report", type=Path, default=Path("docs/benchmarks/autoscaling.md"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--more-seeds", type=int, action="append", default=[], help="summary rows per seed"
    )
    parser.add_argument("--no-probe", action="store_true", help="skip the Redis measurement")
    args = parser.parse_args()
    print(run(args.report, args.seed, not args.no_probe, tuple(args.more_seeds)))


if __name__ == "__main__":
    main()
