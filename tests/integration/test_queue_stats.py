"""The per-queue counters: counted in memory, added to Redis in one pipeline per flush."""

from __future__ import annotations

import redis

from devstack.local_servers import RedisServer
from devstack.ports import free_port
from jobplatform.infrastructure.redis.queue_stats import RedisQueueStats
from jobplatform.infrastructure.redis.worker_keys import queue_stats_key


def test_counts_reach_redis_summed_and_survive_a_refused_flush(redis_server: RedisServer) -> None:
    queue = f"stats-{free_port()}"
    down = redis.Redis(port=free_port(), socket_connect_timeout=0.5)
    stats = RedisQueueStats(down, flush_seconds=3600)  # flushed by hand below
    for _ in range(3):
        stats.increment(queue, "succeeded")
    stats.increment(queue, "dead")
    stats.flush()  # Redis refuses: the counts are kept

    client = redis.Redis.from_url(redis_server.url)
    stats._client = client  # the same counter, now with a Redis that answers
    stats.increment(queue, "succeeded")
    stats.flush()
    assert client.hgetall(queue_stats_key(queue)) == {b"succeeded": b"4", b"dead": b"1"}
    stats.flush()  # nothing counted since: nothing added twice
    assert client.hgetall(queue_stats_key(queue)) == {b"succeeded": b"4", b"dead": b"1"}
