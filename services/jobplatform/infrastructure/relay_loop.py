"""The outbox relay process: wakes on Postgres NOTIFY (or its poll interval), publishes."""

from __future__ import annotations

import threading

import psycopg
import structlog
from celery import Celery
from sqlalchemy import Engine

from jobplatform.application.relay_outbox import relay_once
from jobplatform.infrastructure.celery.publisher import CeleryPublisher
from jobplatform.infrastructure.container import Container
from jobplatform.infrastructure.metrics import OUTBOX_PUBLISH_FAILURES, OUTBOX_PUBLISHED

log = structlog.get_logger("jobplatform.relay")
CHANNEL = "jobplatform_outbox"


def _listen_connection(engine: Engine) -> psycopg.Connection[tuple[object, ...]]:
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = psycopg.connect(url, autocommit=True)
    conn.execute(f"LISTEN {CHANNEL}")
    return conn


def run_relay(c: Container, app: Celery, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    publisher = CeleryPublisher(app)
    poll = c.settings.relay_poll_seconds
    backoff = 0.0
    listener = _listen_connection(c.engine)
    log.info("relay_started", poll_seconds=poll)
    try:
        while not stop.is_set():
            result = relay_once(c.uow_factory, publisher, c.clock)
            OUTBOX_PUBLISHED.inc(result.published)
            if result.broker_down:
                OUTBOX_PUBLISH_FAILURES.inc()
                backoff = min(5.0, max(0.2, backoff * 2))
                stop.wait(backoff)
                continue
            if backoff:
                log.info("relay_broker_back")
            backoff = 0.0
            if result.published:
                continue  # there may be more right behind this batch
            # Nothing left: sleep until a commit notifies us, or the poll interval passes.
            # Notifications that pile up meanwhile only cause cheap empty passes.
            for _ in listener.notifies(timeout=poll, stop_after=1):
                pass
    finally:
        listener.close()
        log.info("relay_stopped")
