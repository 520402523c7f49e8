"""The burst watch's reads, shared by every WorkerPool on one Redis.

Each pool's timer ticks on its own phase; reading each pool's counters on its own tick costs
one round trip per pool per tick. Here the first tick to ask reads the counters of every
queue the pools on that Redis have asked for, in one script call, and the ticks that follow
within `max_age` seconds take their counts from that read: one round trip per Redis every
`max_age` seconds, whatever the number of pools, for counts at most that much older.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import redis

from celery_autoscaler.policy.observation import FRESH_WINDOW_SECONDS
from celery_autoscaler.signals import parse
from celery_autoscaler.signals.layout import fresh_arrivals_key
from celery_autoscaler.signals.scripts import FRESH_ARRIVALS

Counts = tuple[int, ...] | None


@dataclass
class _Shared:
    queues: dict[str, float] = field(default_factory=dict)  # queue -> when a pool last asked
    read_at: float = float("-inf")
    counts: dict[str, Counts] = field(default_factory=dict)
    # One per Redis: a slow or unreachable Redis holds up only the pools that read from it.
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class CounterBatch:
    max_age: float = 0.5
    forget_after: float = 60.0  # a queue no pool asked for this long is read no more
    window: int = FRESH_WINDOW_SECONDS
    reads: int = 0  # round trips made, for the metric and the tests
    _shared: dict[Hashable, _Shared] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def counts(
        self, redis_id: Hashable, client: redis.Redis[bytes], queues: Sequence[str], now: float
    ) -> list[Counts] | None:
        """The counts of `queues` (per queue, as `RedisProbe.read_fresh`), from a read of every
        queue asked for on this Redis no older than `max_age`; None if Redis failed."""
        with self._lock:
            shared = self._shared.setdefault(redis_id, _Shared())
        with shared.lock:  # kopf runs the timers in threads; one of them reads for the rest
            for q in queues:
                shared.queues[q] = now
            fresh = now - shared.read_at <= self.max_age
            if not (fresh and all(q in shared.counts for q in queues)):
                shared.queues = {
                    q: t for q, t in shared.queues.items() if now - t <= self.forget_after
                }
                names = sorted(shared.queues)
                keys = [fresh_arrivals_key(q) for q in names]
                try:
                    reply = client.eval(  # type: ignore[no-untyped-call]
                        FRESH_ARRIVALS, len(keys), *keys, self.window
                    )
                except redis.RedisError:
                    shared.counts, shared.read_at = {}, float("-inf")
                    return None
                with self._lock:
                    self.reads += 1
                shared.counts = {
                    q: parse.fresh_arrivals(n) for q, n in zip(names, reply, strict=True)
                }
                shared.read_at = now
            return [shared.counts[q] for q in queues]
