"""devstack's Redis keeps its data across a clean restart (append-only file), so a restarted
broker still holds the messages it had."""

from __future__ import annotations

import redis

from devstack.local_servers import RedisServer


def test_a_clean_restart_keeps_queued_messages() -> None:
    server = RedisServer().start()
    try:
        client = redis.Redis.from_url(server.url)
        client.lpush("default", b"message-1", b"message-2")
        client.close()
        server.stop()  # SIGTERM: Redis flushes the append-only file and exits
        server.start()
        client = redis.Redis.from_url(server.url)
        assert client.lrange("default", 0, -1) == [b"message-2", b"message-1"]
        client.close()
    finally:
        server.close()
