"""What the autoscaling report compares, per window: the trace's own seconds, or until the
work is done and the pool is back at minReplicas (the simulator's run after the trace)."""

from __future__ import annotations

from dataclasses import dataclass

from celery_autoscaler.simulator.run import Result

TRACE = "trace"  # the trace's seconds only, as the report always counted
DONE = "done"  # until every message is served and the pool is back at minReplicas

LABELS = {TRACE: "trace's seconds", DONE: "until done, back at min"}


@dataclass(frozen=True)
class View:
    p95_wait: float
    worker_seconds: float
    interrupted: int
    busy_seconds: int
    left_queued: int  # ready messages when the window ends
    ends_at: int  # seconds from the trace's start
    capped: bool
    unfinished: int  # ready, due or running when the window ends (only at the cap)


def view(r: Result, window: str) -> View:
    if window == TRACE:
        return View(
            r.p95_wait,
            r.worker_seconds,
            r.interrupted,
            sum(busy for _, _, busy, _ in r.series),
            r.series[-1][3] if r.series else 0,
            len(r.series),
            False,
            0,
        )
    every = r.series + r.tail
    return View(
        r.p95_done_wait,
        r.done_worker_seconds,
        r.done_interrupted,
        sum(busy for _, _, busy, _ in every),
        every[-1][3] if every else 0,
        r.done_at,
        r.capped,
        r.unfinished,
    )


def goal_met(ours: View, keda: View) -> bool:
    """p95 at most half of KEDA's at no more worker-seconds, no busy worker interrupted; and,
    counted until done, our pool must have finished (a run cut at the cap did not)."""
    return (
        ours.p95_wait <= 0.5 * keda.p95_wait
        and ours.worker_seconds <= keda.worker_seconds
        and ours.interrupted == 0
        and not ours.capped
    )


def p95_ratio(ours: View, keda: View) -> float:
    return ours.p95_wait / max(keda.p95_wait, 1e-9)


def worker_seconds_ratio(ours: View, keda: View) -> float:
    return ours.worker_seconds / keda.worker_seconds


def ends(v: View) -> str:
    if not v.capped:
        return str(v.ends_at)
    # What was left at the cap, as it stood at that second (a task KEDA keeps interrupting
    # is ready or running depending on the phase the cap falls in).
    due_or_running = v.unfinished - v.left_queued
    return f"{v.ends_at} (cap: {v.left_queued} ready, {due_or_running} due or running)"
