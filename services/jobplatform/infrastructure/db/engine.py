"""One SQLAlchemy engine per process, on psycopg 3."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine


def make_engine(database_url: str, pool_size: int = 5, pre_ping: bool = True) -> Engine:
    # The driver part of the URL is fixed by Settings (one validator), not here.
    # Pre-ping costs a round trip per checkout. Workers turn it off: a connection broken by a
    # Postgres restart fails one attempt, which is retried like any transient error.
    return create_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=pre_ping,
        pool_recycle=300,
    )
