"""The Redis probe: one pipelined round trip per poll -> an Observation for the policy."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import redis

from celery_autoscaler.policy.observation import (
    FRESH_WINDOW_SECONDS,
    Observation,
    QueueSignals,
    due_soon,
)
from celery_autoscaler.policy.rates import Counters, RateWindow
from celery_autoscaler.signals import parse
from celery_autoscaler.signals.layout import (
    WORKER_KEY_PREFIX,
    WORKERS,
    Layout,
    fresh_arrivals_key,
    queue_stats_key,
)
from celery_autoscaler.signals.scripts import FRESH_ARRIVALS, UNACKED_SUMMARY, WORKERS_SUMMARY

HEARTBEAT_MAX_AGE = 30.0  # three heartbeats at the workers' default 10 s interval
UNACKED_EXACT_LIMIT = 2000  # above this many unacked entries the counts come from a sample


@dataclass
class RedisProbe:
    client: redis.Redis[bytes]
    layout: Layout
    fresh_window: int = FRESH_WINDOW_SECONDS  # complete seconds of new-job counts read
    _rates: RateWindow = field(default_factory=RateWindow, init=False)

    def poll(self, now: float | None = None) -> Observation:
        now = time.time() if now is None else now
        try:
            replies = self._round_trip(now)
        except redis.RedisError as exc:
            return Observation(error=type(exc).__name__)
        return self._observe(replies, now)

    def _round_trip(self, now: float) -> list[object]:
        pipe = self.client.pipeline(transaction=False)
        for q in self.layout.queues:
            for key in self.layout.priority_keys(q):
                pipe.llen(key)
                pipe.lindex(key, -1)  # BRPOP takes from the tail: the oldest of that list
            pipe.exists(self.layout.binding_key(q))
            pipe.hmget(queue_stats_key(q), "succeeded", "retried", "dead", "rejected")
        pipe.eval(UNACKED_SUMMARY, 1, self.layout.unacked, UNACKED_EXACT_LIMIT)
        pipe.eval(WORKERS_SUMMARY, 1, WORKERS, now - HEARTBEAT_MAX_AGE, WORKER_KEY_PREFIX)
        fresh = [fresh_arrivals_key(q) for q in self.layout.queues]
        pipe.eval(FRESH_ARRIVALS, len(fresh), *fresh, self.fresh_window)
        return list(pipe.execute())

    def _observe(self, replies: list[object], now: float) -> Observation:
        it = iter(replies)
        ready: dict[str, list[int]] = {}
        ages: dict[str, float | None] = {}
        bound: dict[str, bool] = {}
        totals = [0, 0, 0]
        for q in self.layout.queues:
            lengths, oldest = [], None
            for _ in self.layout.priority_keys(q):
                lengths.append(int(next(it)))  # type: ignore[call-overload]
                stamp = parse.published_at(next(it))  # type: ignore[arg-type]
                if stamp is not None:
                    oldest = max(oldest or 0.0, now - stamp)
            ready[q], ages[q] = lengths, oldest
            bound[q] = bool(next(it))
            ok, retried, dead, rejected = (int(x or 0) for x in next(it))  # type: ignore[attr-defined]
            totals = [totals[0] + ok, totals[1] + retried, totals[2] + dead + rejected]
        groups, estimated = parse.unacked_groups(next(it))  # type: ignore[arg-type]
        hosts = parse.workers(next(it))  # type: ignore[arg-type]
        fresh = [parse.fresh_arrivals(n) for n in next(it)]  # type: ignore[attr-defined]
        mine = [(h, running) for h, qs, running in hosts if set(qs) & set(self.layout.queues)]
        reporting = {q for _, qs, _ in hosts for q in qs}
        held = {q: [0.0, 0.0, 0.0] for q in self.layout.queues}  # reserved, scheduled, retrying
        due: dict[str, list[tuple[float, float]]] = {q: [] for q in self.layout.queues}
        for queue, eta, retry, count in groups:
            if queue not in held:
                continue
            slot = 1 if eta is not None and eta > now else 0
            held[queue][slot] += count
            if eta is not None and eta > now:
                due[queue].append((eta - now, count))
            if slot == 1 and retry:
                held[queue][2] += count
        queues = {
            q: QueueSignals(
                ready=sum(ready[q]),
                # A sample that missed a queue cannot prove it has nothing in flight.
                reserved=max(round(held[q][0]), 1 if estimated and not any(held[q]) else 0),
                scheduled=round(held[q][1]),
                retrying=round(held[q][2]),
                oldest_ready_age=ages[q],
                # A missing list is an empty queue only if Celery declared it or a worker
                # consumes it; otherwise the name is wrong or Redis is not the right one.
                known=bound[q] or q in reporting or any(ready[q]) or any(held[q]),
                due_soon=due_soon(due[q]),
                fresh_arrivals=fresh[i],
            )
            for i, q in enumerate(self.layout.queues)
        }
        busy = tuple(sorted(h for h, n in mine if n))
        idle = tuple(sorted(h for h, n in mine if not n))
        backlog = sum(s.ready + s.reserved for s in queues.values())
        counters = Counters(now, totals[0], totals[1], totals[2], backlog)
        rates = self._rates.push(counters, busy_slots=sum(n for _, n in mine))
        return Observation(queues, rates, busy, idle)
