"""A plain Celery app (not the platform's) for proving the autoscaler's probe against Celery."""

from __future__ import annotations

import os
import time

from celery import Celery

app = Celery("plain", broker=os.environ.get("PLAIN_CELERY_BROKER", "redis://127.0.0.1:6379/0"))
app.conf.broker_transport_options = {"priority_steps": [0, 3, 6, 9], "visibility_timeout": 7200}
app.conf.worker_prefetch_multiplier = 4
app.conf.task_acks_late = True  # a running task stays in `unacked` until it ends


@app.task(name="plain.sleep")
def sleep(seconds: float) -> None:
    time.sleep(seconds)
