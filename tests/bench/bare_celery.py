"""The baseline: a bare Celery app with one no-op task, with the same reliability settings the
platform uses (acks_late, prefetch 1), so the ratio measures the platform's own overhead."""

import os

from celery import Celery

app = Celery("bare", broker=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    worker_hijack_root_logger=False,
)


@app.task(name="bare.noop")
def noop() -> None:
    return None
