"""Prometheus metrics shared by every process. No label carries a tenant id: tenant views come
from the tenant-scoped API, and a label per tenant would explode cardinality."""

from __future__ import annotations

import functools

from prometheus_client import Counter, Histogram

JOB_DURATION = Histogram(
    "jobplatform_job_duration_seconds",
    "Time a job's handler ran, per attempt.",
    ["job_type", "queue"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
)
JOB_OUTCOMES = Counter(
    "jobplatform_job_outcomes_total",
    "Finished attempts by outcome (succeeded/retry/dead).",
    ["job_type", "queue", "outcome"],
)
JOB_RETRIES = Counter(
    "jobplatform_job_retries_total",
    "Retries scheduled after a failed attempt.",
    ["job_type", "queue"],
)
DEAD_LETTERS = Counter(
    "jobplatform_dead_letters_total",
    "Jobs that became dead (non-retryable or exhausted).",
    ["job_type", "queue"],
)
REJECTED_MESSAGES = Counter(
    "jobplatform_rejected_messages_total",
    "Messages refused before running.",
    ["reason"],
)
JOBS_SUBMITTED = Counter(
    "jobplatform_jobs_submitted_total",
    "Accepted submissions (created or idempotent repeat).",
    ["job_type", "queue", "result"],
)


@functools.cache
def jobs_submitted(job_type: str, queue: str, result: str) -> Counter:
    """JOBS_SUBMITTED's child for these labels, looked up once: ``labels()`` takes a lock and
    checks its arguments on every call, about 2 % of a submit's CPU. Job types and queues come
    from the catalog, so the cache stays small."""
    return JOBS_SUBMITTED.labels(job_type, queue, result)


OUTBOX_PUBLISHED = Counter(
    "jobplatform_outbox_published_total",
    "Outbox rows published to the broker.",
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "jobplatform_outbox_publish_failures_total",
    "Relay passes stopped by a broker error.",
)
MESSAGES_PUBLISHED = Counter(
    "jobplatform_messages_published_total",
    "Celery messages this process published (relay: jobs; beat: schedule ticks; workers: "
    "retries and child tasks).",
    ["task"],
)
REDISPATCHED_JOBS = Counter(
    "jobplatform_reconciler_redispatched_total",
    "Stalled jobs the reconciler published again, by why they stalled (queued_stalled, "
    "retry_overdue, lease_expired, broker_lost).",
    ["reason"],
)
RECONCILER_ERRORS = Counter(
    "jobplatform_reconciler_errors_total",
    "Reconciler passes that failed (database unreachable); the pass is retried with backoff.",
)
LEASES_RENEWED = Counter(
    "jobplatform_leases_renewed_total",
    "Leases of running jobs renewed by their worker.",
)
OUTCOMES_WRITTEN_BEHIND = Counter(
    "jobplatform_outcomes_written_behind_total",
    "Succeeded outcomes a worker wrote after its runs had returned, several per round trip.",
)
RUN_TICKETS = Counter(
    "jobplatform_run_tickets_total",
    "Run tickets a worker checked, by result: used (the run read nothing first), expired, "
    "redelivered, bad_signature, other_job or malformed (the run read the job from Postgres).",
    ["result"],
)
TICKET_RUNS_MARKED = Counter(
    "jobplatform_ticket_runs_marked_total",
    "Runs started from their tickets that the lease keeper marked running (still in hand "
    "one renewal after they started).",
)
DEPENDENCY_ERRORS = Counter(
    "jobplatform_dependency_errors_total",
    "Times a long-running process found Redis or Postgres unreachable and backed off.",
    ["process"],
)
