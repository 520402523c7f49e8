"""The reconciler process: every few seconds, re-publish the jobs whose progress stalled."""

from __future__ import annotations

import threading
from datetime import timedelta

import structlog
from sqlalchemy.exc import SQLAlchemyError

from jobplatform.application.ports import StoreUnavailable
from jobplatform.application.reconcile import reconcile_once
from jobplatform.application.records import StallBounds
from jobplatform.infrastructure.container import Container
from jobplatform.infrastructure.metrics import RECONCILER_ERRORS, REDISPATCHED_JOBS
from jobplatform.infrastructure.redis.broker_marker import RedisBrokerMarker
from jobplatform.infrastructure.retry_backoff import Backoff

log = structlog.get_logger("jobplatform.reconciler")


def stall_bounds(c: Container) -> StallBounds:
    s = c.settings
    return StallBounds(
        queued_after=timedelta(seconds=s.reconciler_queued_after_seconds),
        retry_grace=timedelta(seconds=s.reconciler_retry_grace_seconds),
    )


def run_reconciler(c: Container, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    interval = c.settings.reconciler_interval_seconds
    bounds = stall_bounds(c)
    marker = RedisBrokerMarker(c.redis)
    backoff = Backoff("reconciler", log)
    log.info("reconciler_started", interval_seconds=interval)
    while not stop.is_set():
        try:
            result = reconcile_once(c.uow_factory, marker, c.clock, bounds)
        except (SQLAlchemyError, StoreUnavailable) as exc:
            RECONCILER_ERRORS.inc()
            stop.wait(backoff.failed(exc))
            continue
        backoff.recovered()
        for reason, n in result.redispatched.items():
            REDISPATCHED_JOBS.labels(reason).inc(n)
        stop.wait(interval)
    log.info("reconciler_stopped")
