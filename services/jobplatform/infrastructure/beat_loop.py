"""The beat process: Celery beat (RedBeat), started again in-process whenever it fails.

Celery beat exits on any error that reaches its loop, and a Redis restart is such an error
(RedBeat renews its lock every tick). Starting it again after a backoff is all it takes: the
lock is taken anew, and the schedule lives in Redis.
"""

from __future__ import annotations

import threading

import structlog
from celery import Celery

from jobplatform.infrastructure.metrics import DEPENDENCY_ERRORS
from jobplatform.infrastructure.retry_backoff import Backoff

log = structlog.get_logger("jobplatform.beat")


def run_beat(
    app: Celery, loglevel: str, schedule: str | None, stop: threading.Event | None = None
) -> None:
    stop = stop or threading.Event()
    backoff = Backoff("beat", log)
    while not stop.is_set():
        try:
            # Returns when beat is asked to stop (SIGTERM, SIGINT); raises on a failure.
            app.Beat(loglevel=loglevel, schedule=schedule).run()
            return
        except Exception as exc:
            DEPENDENCY_ERRORS.labels("beat").inc()
            stop.wait(backoff.failed(exc))
