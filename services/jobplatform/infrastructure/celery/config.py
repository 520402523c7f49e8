"""Celery settings and why each is chosen (docs/reliability.md says the same for operators)."""

from __future__ import annotations

from typing import Any

from kombu.entity import Queue as KombuQueue

from jobplatform.domain.queues import Queue
from jobplatform.infrastructure.settings import Settings

SCHEDULE_FAN_OUT_TASK = "jobplatform.schedule_fan_out"
RUN_JOB_TASK = "jobplatform.run_job"
PRUNE_FINISHED_JOBS_TASK = "jobplatform.prune_finished_jobs"
# Jobs one retention sweep deletes at most, in batches of JOBPLATFORM_RETENTION_BATCH_ROWS;
# the next sweep carries on with the rest.
RETENTION_SWEEP_MAX_JOBS = 1_000_000


def celery_config(s: Settings) -> dict[str, Any]:
    # Settings already refuses a visibility timeout not above the task time limit.
    return {
        "broker_url": s.redis_url,
        # Postgres is the source of truth for job state; Redis results would be a second,
        # unscoped copy, so results are not stored.
        "result_backend": None,
        "task_ignore_result": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        # A message is acked only after its task finishes, and requeued when the process
        # running it dies: a crash never loses a job (handlers are idempotent, see ledger).
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        # One message per process at a time: prefetched messages would hide from other
        # workers (and from the autoscaler's idle view).
        "worker_prefetch_multiplier": 1,
        "task_time_limit": s.task_time_limit_seconds,
        # The soft limit raises inside the task first, so it can fail (and retry) cleanly.
        "task_soft_time_limit": s.task_time_limit_seconds
        - max(1, min(30, s.task_time_limit_seconds // 10)),
        "broker_transport_options": {
            # Must exceed the longest task and the longest retry countdown (kombu#337).
            "visibility_timeout": s.visibility_timeout_seconds,
            "socket_connect_timeout": 2,
            "socket_timeout": 10,
        },
        "broker_connection_retry_on_startup": True,
        # A cold stop (SIGQUIT) first waits this long for running tasks, then requeues what is
        # left. SIGTERM stays Celery's warm shutdown (running tasks finish, unstarted messages go
        # back): the soft shutdown sleeps its whole timeout even when tasks end sooner, which
        # would hold every pod of a rollout that long (docs/upgrade.md).
        "worker_soft_shutdown_timeout": s.soft_shutdown_timeout_seconds,
        "worker_enable_soft_shutdown_on_idle": True,
        "task_queues": [KombuQueue(q.value, routing_key=q.value) for q in Queue],  # type: ignore[no-untyped-call]
        "task_default_queue": Queue.DEFAULT.value,
        "task_routes": {
            SCHEDULE_FAN_OUT_TASK: {"queue": Queue.SCHEDULED.value},
            PRUNE_FINISHED_JOBS_TASK: {"queue": Queue.SCHEDULED.value},
        },
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
        "worker_send_task_events": False,
        # Beat: RedBeat keeps the schedule in Redis behind a lock, so of any number of beat
        # processes exactly one fires; the others wait to take over.
        "beat_scheduler": "redbeat.RedBeatScheduler",
        "redbeat_redis_url": s.redis_url,
        "redbeat_key_prefix": "jobplatform:beat",
        # The lock is renewed every loop, so a loop must be shorter than the lock's lifetime.
        "beat_max_loop_interval": max(1, min(5, s.beat_lock_timeout_seconds // 5)),
        "redbeat_lock_timeout": s.beat_lock_timeout_seconds,
        "beat_schedule": {
            "prune-idempotency-keys": {
                "task": SCHEDULE_FAN_OUT_TASK,
                "schedule": s.prune_schedule_seconds,
                "args": (
                    "prune-idempotency-keys",
                    "maintenance.prune_idempotency_keys",
                    s.prune_schedule_seconds,
                ),
            },
            **retention_schedule(s),
            "prune-dead-letters": {
                "task": SCHEDULE_FAN_OUT_TASK,
                "schedule": s.dead_letter_prune_schedule_seconds,
                "args": (
                    "prune-dead-letters",
                    "maintenance.prune_dead_letters",
                    s.dead_letter_prune_schedule_seconds,
                ),
            },
            "prune-api-keys": {
                "task": SCHEDULE_FAN_OUT_TASK,
                "schedule": s.api_key_prune_schedule_seconds,
                "args": (
                    "prune-api-keys",
                    "maintenance.prune_api_keys",
                    s.api_key_prune_schedule_seconds,
                ),
            },
            "aggregate-audit-events": {
                "task": SCHEDULE_FAN_OUT_TASK,
                "schedule": s.audit_aggregate_schedule_seconds,
                "args": (
                    "aggregate-audit-events",
                    "audit.aggregate",
                    s.audit_aggregate_schedule_seconds,
                ),
            },
            "compact-audit-events": {
                "task": SCHEDULE_FAN_OUT_TASK,
                "schedule": s.audit_compact_schedule_seconds,
                "args": (
                    "compact-audit-events",
                    "maintenance.compact_audit_events",
                    s.audit_compact_schedule_seconds,
                ),
            },
            "cleanup-uploads": {
                "task": SCHEDULE_FAN_OUT_TASK,
                "schedule": s.upload_cleanup_schedule_seconds,
                "args": (
                    "cleanup-uploads",
                    "maintenance.cleanup_uploads",
                    s.upload_cleanup_schedule_seconds,
                ),
            },
        },
    }


def retention_schedule(s: Settings) -> dict[str, Any]:
    """Beat's entry for the retention sweep: finished jobs older than the retention go."""
    batches = max(1, RETENTION_SWEEP_MAX_JOBS // s.retention_batch_rows)
    return {
        "prune-finished-jobs": {
            "task": PRUNE_FINISHED_JOBS_TASK,
            "schedule": s.retention_schedule_seconds,
            "args": (
                s.job_retention_days * 86_400,
                s.retention_batch_rows,
                batches,
                s.idempotency_ttl_seconds,  # no tenant's own retention is shorter
            ),
        }
    }
