"""A worker's heartbeat: its busy/idle state, written to Redis on a timer."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
import structlog

from jobplatform.infrastructure.redis.worker_keys import WORKERS, worker_key

log = structlog.get_logger("jobplatform.heartbeat")


@dataclass(frozen=True, slots=True)
class WorkerState:
    active: int
    reserved: int


def write_heartbeat(
    client: redis.Redis[bytes],
    hostname: str,
    queues: list[str],
    concurrency: int,
    state: WorkerState,
    ttl: float,
    now: float | None = None,
) -> None:
    now = time.time() if now is None else now
    key = worker_key(hostname)
    pipe = client.pipeline(transaction=True)
    pipe.hset(
        key,
        mapping={
            "queues": ",".join(queues),
            "concurrency": concurrency,
            "active": state.active,
            "reserved": state.reserved,
            "state": "busy" if state.active else "idle",
            "pid": os.getpid(),
            "heartbeat_at": now,
        },
    )
    pipe.expire(key, max(1, int(ttl)))
    pipe.zadd(WORKERS, {hostname: now})
    # Workers gone for longer than the TTL drop out of the index.
    pipe.zremrangebyscore(WORKERS, "-inf", now - ttl)
    pipe.execute()


def remove_heartbeat(client: redis.Redis[bytes], hostname: str) -> None:
    client.delete(worker_key(hostname))
    client.zrem(WORKERS, hostname)


class HeartbeatThread(threading.Thread):
    def __init__(
        self,
        client: redis.Redis[bytes],
        hostname: str,
        queues: list[str],
        concurrency: int,
        read_state: Callable[[], WorkerState],
        interval: float,
    ):
        super().__init__(name="jobplatform-heartbeat", daemon=True)
        self._args = (client, hostname, queues, concurrency)
        self._read_state, self._interval = read_state, interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        client, hostname, queues, concurrency = self._args
        while not self._stop_event.is_set():
            try:
                write_heartbeat(
                    client,
                    hostname,
                    queues,
                    concurrency,
                    self._read_state(),
                    ttl=self._interval * 3,
                )
            except redis.RedisError as exc:
                log.warning("heartbeat_failed", hostname=hostname, error_class=type(exc).__name__)
            self._stop_event.wait(self._interval)

    def stop(self) -> None:
        self._stop_event.set()
        client, hostname, _, _ = self._args
        with contextlib.suppress(redis.RedisError):
            remove_heartbeat(client, hostname)
