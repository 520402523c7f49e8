"""A small pool of asyncio psycopg connections, for one event loop.

Opened on demand up to ``max_size`` (a caller beyond it waits for one to come back), in
autocommit mode. A connection comes back to the pool only when it is idle and healthy, and is
closed instead once older than ``max_age_seconds`` (as the engine's ``pool_recycle``). Opening
a connection the server refuses raises at once: the web answers 503 instead of holding the
request while a background task retries.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

Connection = psycopg.AsyncConnection[Any]


class AsyncConnections:
    def __init__(
        self,
        conninfo: str,
        max_size: int,
        max_age_seconds: float = 300,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self._conninfo = conninfo
        self._slots = asyncio.Semaphore(max_size)
        self._max_age = max_age_seconds
        self._now = monotonic
        self._idle: list[tuple[Connection, float]] = []  # (connection, opened at), newest last
        self._closed = False

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        async with self._slots:
            if self._idle:
                conn, opened = self._idle.pop()
            else:
                conn = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
                opened = self._now()
            try:
                yield conn
            finally:
                # After an error the connection is kept only if the server ended the
                # statement cleanly (an error answered, nothing left open); a cancelled or
                # broken one is closed.
                healthy = (
                    not conn.broken
                    and not conn.closed
                    and conn.info.transaction_status == TransactionStatus.IDLE
                )
                if healthy and not self._closed and self._now() - opened < self._max_age:
                    self._idle.append((conn, opened))
                else:
                    await _close(conn)

    async def discard_idle(self) -> None:
        """Close every idle connection (the server dropped one: it restarted, so did they)."""
        idle, self._idle = self._idle, []
        for conn, _ in idle:
            await _close(conn)

    async def close(self) -> None:
        """Close the idle connections now, and each one in use when it comes back."""
        self._closed = True
        await self.discard_idle()


async def _close(conn: Connection) -> None:
    with suppress(psycopg.Error, OSError):
        await conn.close()
