"""Per-queue, per-second counts of newly published jobs, for the autoscaler (docs/redis-keys.md).

The autoscaler sees a burst of new jobs and a clump of retries come due as the same ready
messages; this counter tells them apart. The outbox relay publishes every new job and never a
worker's retry (Celery's `Task.retry` publishes from the worker), so what the relay published
ready to run is what arrived fresh. Messages the relay publishes with an ETA (a re-published
retry that keeps its due time) are not counted.

One script call per relay batch, not per job: it adds the batch's counts to the second of
Redis's own clock (the operator reads by the same clock, so skew between pods does not move a
count to the wrong second) and drops the seconds nobody reads any more.
"""

from __future__ import annotations

from collections.abc import Mapping

import redis
import structlog

from jobplatform.infrastructure.redis.worker_keys import fresh_arrivals_key

log = structlog.get_logger("jobplatform.relay")

FRESH_KEEP_SECONDS = 10  # the operator reads the current second and the one before it
# The hash outlives quiet spells by far: its existence tells the operator the counter is kept
# (a pool fed only by plain Celery clients has none, and is scaled without it).
FRESH_KEY_TTL_SECONDS = 24 * 3600

# KEYS: one hash per queue; ARGV[1]: seconds kept, ARGV[2]: TTL, ARGV[3..]: a count per key.
RECORD_FRESH = r"""
local now = tonumber(redis.call('TIME')[1])
local oldest = now - tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('HINCRBY', key, now, ARGV[i + 2])
  for _, second in ipairs(redis.call('HKEYS', key)) do
    if tonumber(second) < oldest then
      redis.call('HDEL', key, second)
    end
  end
  redis.call('EXPIRE', key, ARGV[2])
end
return now
"""


class RedisFreshArrivals:
    def __init__(self, client: redis.Redis[bytes]):
        self._client = client

    def record(self, per_queue: Mapping[str, int]) -> None:
        """Add ``per_queue`` (queue -> jobs just published) to the current second. A failure
        is logged, never raised: the jobs went out, and the autoscaler scales without it."""
        counts = {q: n for q, n in per_queue.items() if n > 0}
        if not counts:
            return
        keys = [fresh_arrivals_key(q) for q in counts]
        try:
            self._client.eval(  # type: ignore[no-untyped-call]
                RECORD_FRESH,
                len(keys),
                *keys,
                FRESH_KEEP_SECONDS,
                FRESH_KEY_TTL_SECONDS,
                *counts.values(),
            )
        except redis.RedisError as exc:
            log.warning("fresh_arrivals_failed", error_class=type(exc).__name__)
