"""Prometheus gauges read from Redis on each scrape: Celery-correct queue depth and workers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import redis
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from jobplatform.infrastructure.redis.queue_depth import read_depths
from jobplatform.infrastructure.redis.worker_keys import WORKERS, worker_key


class QueueCollector(Collector):
    def __init__(self, client: redis.Redis[bytes], queues: Iterable[str]):
        self._client, self._queues = client, list(queues)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "jobplatform_queue_messages",
            "Messages per queue and state, all priority sub-lists counted.",
            labels=["queue", "state"],
        )
        age = GaugeMetricFamily(
            "jobplatform_queue_oldest_ready_age_seconds",
            "Age of the oldest ready message.",
            labels=["queue"],
        )
        workers = GaugeMetricFamily(
            "jobplatform_workers",
            "Workers with a live heartbeat, by queue and state.",
            labels=["queue", "state"],
        )
        up = GaugeMetricFamily("jobplatform_redis_up", "1 if Redis answered this scrape.")
        try:
            depths = read_depths(self._client, self._queues)
            counts = self._worker_counts()
        except redis.RedisError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for q, d in depths.items():
            for state, value in (
                ("ready", d.ready),
                ("reserved", d.reserved),
                ("scheduled", d.scheduled),
                ("retrying", d.retrying),
            ):
                depth.add_metric([q, state], value)
            age.add_metric([q], d.oldest_ready_age or 0.0)
        for (q, state), n in counts.items():
            workers.add_metric([q, state], n)
        yield from (up, depth, age, workers)

    def _worker_counts(self) -> dict[tuple[str, str], int]:
        hosts = [h.decode() for h in self._client.zrange(WORKERS, 0, -1)]
        pipe = self._client.pipeline(transaction=False)
        for h in hosts:
            pipe.hmget(worker_key(h), "queues", "state")
        counts = {(q, s): 0 for q in self._queues for s in ("busy", "idle")}
        for queues, state in pipe.execute():
            if queues is None or state is None:
                continue
            for q in queues.decode().split(","):
                if q in self._queues:
                    counts[(q, state.decode())] = counts.get((q, state.decode()), 0) + 1
        return counts
