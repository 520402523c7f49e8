"""The guard turns kombu's use of a dropped broker connection into a connection error Celery
recovers from, and leaves a live connection's parameters as kombu computes them."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from kombu import Connection
from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError

from jobplatform.infrastructure.celery.closed_broker_guard import install_closed_broker_guard


def test_a_dropped_connection_is_a_connection_error_not_an_attribute_error() -> None:
    install_closed_broker_guard()
    detached = SimpleNamespace(connection=SimpleNamespace(client=None))
    with pytest.raises(RedisConnectionError):
        kombu_redis.Channel._connparams(detached)
    # Celery ignores exactly the transport's connection errors while it closes and reconnects.
    transport = Connection("redis://127.0.0.1:1/0").transport
    assert issubclass(RedisConnectionError, transport.connection_errors)


def test_installing_twice_wraps_once() -> None:
    install_closed_broker_guard()
    first = kombu_redis.Channel._connparams
    install_closed_broker_guard()
    assert kombu_redis.Channel._connparams is first
