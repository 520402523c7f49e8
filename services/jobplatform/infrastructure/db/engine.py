"""One SQLAlchemy engine per process, on psycopg 3."""

from __future__ import annotations

import psycopg
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext

from jobplatform.application.ports import StoreUnavailable


def make_engine(database_url: str, pool_size: int = 20, pre_ping: bool = True) -> Engine:
    # The driver part of the URL is fixed by Settings (one validator), not here.
    # The pool opens connections only when needed and keeps up to pool_size: beyond it, each
    # request would open (and close) a connection of its own, which costs more than the
    # request's own statements. Pre-ping costs a round trip per checkout; web and workers
    # turn it off: a unit of work retries once on a connection the server dropped (see
    # unit_of_work.py).
    engine = create_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=pre_ping,
        pool_recycle=300,
    )
    event.listen(engine, "handle_error", _unavailable_store)
    return engine


def _unavailable_store(ctx: ExceptionContext) -> None:
    """Turn "the database cannot be reached" into the application's StoreUnavailable, so the
    web answers 503 and long-running loops back off. SQLAlchemy still invalidates the broken
    connection (and the pool) after this raises. The driver's message is not carried over:
    for some errors it quotes the statement's parameters, which can hold payload data."""
    if ctx.is_pre_ping:
        # The pool's pre-ping found a connection the server dropped: let SQLAlchemy replace
        # it with a fresh one, as pre-ping is meant to, instead of failing the checkout.
        return
    if ctx.is_disconnect or isinstance(ctx.original_exception, psycopg.OperationalError):
        raise StoreUnavailable(
            type(ctx.original_exception).__name__, connection_invalidated=ctx.is_disconnect
        )
