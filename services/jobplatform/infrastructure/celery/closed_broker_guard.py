"""A guard for kombu's Redis channel when it is used after its connection was dropped.

When Redis goes away while a worker holds unacknowledged messages, Celery closes the consumer's
connection and kombu's Redis channel then tries to restore (or ack) those messages through it.
The connection is already detached (``channel.connection.client`` is None), and kombu raises
``AttributeError: 'NoneType' object has no attribute 'hostname'`` (celery/kombu#582). Celery
does not treat that as a connection error, so it stops the worker ("Unrecoverable error") and
the process exits on a Redis restart.

With the guard, the same situation raises redis's ``ConnectionError``, which Celery ignores
while it closes and then reconnects as for any broker outage. The messages that could not be
restored stay in Redis's unacked hash: kombu gives them back after the visibility timeout,
and the reconciler re-publishes their jobs once their lease has run out.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError

_MARK = "_jobplatform_closed_broker_guard"


def install_closed_broker_guard() -> None:
    """Wrap kombu's Redis ``Channel._connparams`` once per process."""
    original: Any = kombu_redis.Channel._connparams
    if getattr(original, _MARK, False):
        return

    def _connparams(self: Any, asynchronous: bool = False) -> Any:
        if self.connection.client is None:
            raise RedisConnectionError("the broker connection was already closed")
        return original(self, asynchronous=asynchronous)

    setattr(_connparams, _MARK, True)
    kombu_redis.Channel._connparams = _connparams  # type: ignore[method-assign]
