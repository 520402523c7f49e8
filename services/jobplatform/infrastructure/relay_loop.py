"""The outbox relay process: wakes on Postgres NOTIFY, publishes.

Idle, it sends no query: every insert into the outbox notifies the channel in its own
transaction, and a pass runs on start and after every (re)connection of the listener, which
covers the commits made while it was not listening. The listener's connection has TCP
keepalives, so a peer that vanished without closing it is noticed (and reconnected) too.

It outlives a Postgres restart (reconnects with backoff, LISTEN included) and a broker outage
(rows stay in the outbox until the broker is back).
"""

from __future__ import annotations

import contextlib
import threading

import psycopg
import structlog
from celery import Celery
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from jobplatform.application.ports import StoreUnavailable
from jobplatform.application.relay_outbox import relay_once
from jobplatform.infrastructure.celery.publisher import CeleryPublisher
from jobplatform.infrastructure.container import Container
from jobplatform.infrastructure.metrics import (
    DEPENDENCY_ERRORS,
    OUTBOX_PUBLISH_FAILURES,
    OUTBOX_PUBLISHED,
)
from jobplatform.infrastructure.retry_backoff import Backoff

log = structlog.get_logger("jobplatform.relay")
CHANNEL = "jobplatform_outbox"

Listener = psycopg.Connection[tuple[object, ...]]


def _listen_connection(engine: Engine) -> Listener:
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = psycopg.connect(
        url,
        autocommit=True,
        connect_timeout=5,
        keepalives=1,
        keepalives_idle=10,
        keepalives_interval=5,
        keepalives_count=3,
    )
    conn.execute(f"LISTEN {CHANNEL}")
    return conn


def _close(listener: Listener | None) -> None:
    if listener is not None:
        with contextlib.suppress(psycopg.Error):
            listener.close()


def run_relay(c: Container, app: Celery, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    publisher = CeleryPublisher(app, c.fresh_arrivals, c.run_tickets)
    poll = c.settings.relay_poll_seconds
    database = Backoff("relay", log)
    broker = Backoff("relay", log)
    listener: Listener | None = None
    log.info("relay_started", poll_seconds=poll)
    try:
        while not stop.is_set():
            try:
                if listener is None:
                    listener = _listen_connection(c.engine)
                result = relay_once(c.uow_factory, publisher, c.clock)
            except (SQLAlchemyError, StoreUnavailable, psycopg.Error) as exc:
                DEPENDENCY_ERRORS.labels("relay").inc()
                _close(listener)
                listener = None
                stop.wait(database.failed(exc))
                continue
            database.recovered()
            OUTBOX_PUBLISHED.inc(result.published)
            if result.broker_down:
                OUTBOX_PUBLISH_FAILURES.inc()
                stop.wait(broker.failed(ConnectionError("broker unreachable")))
                continue
            broker.recovered()
            if result.published:
                continue  # there may be more right behind this batch
            # Nothing left: sleep until a commit notifies us. The poll interval only bounds
            # how long a stop request waits; a wake-up without a notification sends nothing.
            try:
                _wait_for_notification(listener, poll, stop)
            except psycopg.Error:
                _close(listener)
                listener = None  # the next pass reconnects (and backs off if it must)
    finally:
        _close(listener)
        log.info("relay_stopped")


def _wait_for_notification(listener: Listener, poll: float, stop: threading.Event) -> None:
    """Return once a notification arrived (or a stop was requested). Notifications that piled
    up while a pass ran are drained with it, so a burst of commits costs one pass more, not
    one per commit."""
    while not stop.is_set():
        if any(True for _ in listener.notifies(timeout=poll, stop_after=1)):
            for _ in listener.notifies(timeout=0):
                pass
            return
