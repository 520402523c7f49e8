"""The relay's count of new jobs reaches the autoscaler's probe; a worker's retry is not in it.

The relay's publisher sends a batch to a real Redis broker and counts it; a platform task runs
in this process as a worker runs it and publishes its retry to the same queue through Celery's
`Task.retry`; the probe, in its one pipelined round trip, reads the counts back.
"""

from __future__ import annotations

import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import redis

from celery_autoscaler.signals.counter_batch import CounterBatch
from celery_autoscaler.signals.layout import Layout, fresh_arrivals_key
from celery_autoscaler.signals.probe import RedisProbe
from devstack.wait import wait_for
from jobplatform.application.records import OutboxMessage
from jobplatform.infrastructure.celery.publisher import CeleryPublisher
from jobplatform.infrastructure.container import Container
from jobplatform.infrastructure.redis.fresh_arrivals import RedisFreshArrivals
from support.deliveries import deliver_expecting_retry
from support.tenants import TenantFixture
from support.unpublished_jobs import add_unpublished_job

pytestmark = pytest.mark.usefixtures("in_process_worker")

NEW_JOBS = 5


def _outbox(queue: str, tenant: TenantFixture, not_before: datetime | None = None) -> OutboxMessage:
    return OutboxMessage(
        id=None,
        job_id=uuid.uuid4(),
        tenant_id=tenant.id,
        job_type="noop",
        queue=queue,
        request_id="fresh-arrivals",
        created_at=datetime.now(UTC),
        not_before=not_before,
    )


def _retry_onto(container: Container, tenant: TenantFixture, queue: str) -> None:
    """One delivery of a failing job, run as a worker runs it: Celery publishes its retry to
    ``queue`` (the delivery's routing key) from the task, not through the relay."""
    job = add_unpublished_job(container, tenant.id, "diagnostic", {"fail_times": 5})
    deliver_expecting_retry(
        container,
        job,
        queue,
        "fresh-arrivals@local",
        tenant_id=str(tenant.id),
        headers={"job_id": str(job.id)},
    )


def test_the_relay_s_new_jobs_reach_the_probe_and_a_worker_s_retry_does_not(
    container: Container, redis_client: redis.Redis, tenant: TenantFixture
) -> None:
    queue = f"fresh-{uuid.uuid4().hex[:8]}"
    plain = f"plain-{uuid.uuid4().hex[:8]}"  # published by nobody through the relay
    due = datetime.now(UTC) + timedelta(hours=1)
    batch = [_outbox(queue, tenant) for _ in range(NEW_JOBS)]
    batch.append(_outbox(queue, tenant, not_before=due))  # a re-published retry keeps its ETA
    publisher = CeleryPublisher(container.celery, RedisFreshArrivals(redis_client))
    try:
        sent = publisher.publish_batch(batch)
        assert (sent.taken, sent.error) == (len(batch), None)
        _retry_onto(container, tenant, queue)
        assert redis_client.llen(queue) == len(batch) + 1, "the retry did not reach the queue"
        # The probe reads the current second as it stands and the complete ones before it; a
        # window wide enough for a slow machine holds every count of this test, the retry's
        # second included (it would show had it been counted).
        probe = RedisProbe(redis_client, Layout(queues=(queue, plain)), fresh_window=60)
        obs = probe.poll()
        # The burst watch's read, shared by two pools on this Redis: the counters alone.
        shared = CounterBatch(max_age=3600)
        watched = shared.counts("redis", redis_client, (queue, plain), 0.0)
        other = shared.counts("redis", redis_client, (plain,), 1.0)
        reads_shared = shared.reads
        shared.counts("redis", redis_client, (queue,), 3602.0)  # older than max_age: read again
    finally:
        redis_client.delete(queue, fresh_arrivals_key(queue))
    counts = obs.queues[queue].fresh_arrivals
    assert counts is not None and sum(counts) == NEW_JOBS
    assert obs.queues[queue].ready == len(batch) + 1  # the retry is there, only not counted
    assert obs.queues[plain].fresh_arrivals is None  # no counter: unknown, not zero
    assert obs.fresh_arrivals_per_second == max(counts) > 0
    assert watched is not None
    (seen, unknown) = watched
    assert seen is not None and sum(seen) == NEW_JOBS and unknown is None
    assert other == [None] and reads_shared == 1  # the second pool took the first's read
    assert shared.reads == 2


def test_the_watch_s_read_is_quiet_when_redis_is_unreachable() -> None:
    """A refused connection is no burst and no crash: the next full poll reports it."""
    closed = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=1)
    batch = CounterBatch()
    assert batch.counts("closed", closed, ("q",), 0.0) is None
    assert batch.reads == 0


def test_a_hung_redis_holds_up_only_the_watch_reads_of_its_own_pools(
    redis_client: redis.Redis,
) -> None:
    """Pools on another Redis go on reading while one Redis answers nothing."""
    queue = f"fresh-{uuid.uuid4().hex[:8]}"
    RedisFreshArrivals(redis_client).record({queue: 2})
    hung = socket.create_server(("127.0.0.1", 0))  # accepts, reads, never answers
    asked = threading.Event()
    conns: list[socket.socket] = []

    def swallow() -> None:
        conn, _ = hung.accept()
        conns.append(conn)
        while conn.recv(65536):
            asked.set()

    threading.Thread(target=swallow, daemon=True).start()
    batch = CounterBatch()
    stuck_client = redis.Redis(port=hung.getsockname()[1], socket_timeout=120)
    stuck = threading.Thread(
        target=batch.counts, args=("hung", stuck_client, ["q"], 0.0), daemon=True
    )
    stuck.start()
    try:
        wait_for(asked.is_set, timeout=60, what="the read of the hung Redis to be under way")
        live: list[object] = []
        other = threading.Thread(
            target=lambda: live.append(batch.counts("live", redis_client, [queue], 0.0))
        )
        other.start()
        other.join(timeout=60)
        assert live, "the live Redis's read waited for the hung one"
        assert stuck.is_alive()  # still waiting on the hung Redis all along
        counts = live[0]
        assert isinstance(counts, list) and counts[0] is not None and sum(counts[0]) == 2
    finally:
        for conn in conns:
            conn.shutdown(socket.SHUT_RDWR)  # wakes the reader and answers the client with EOF
            conn.close()
        hung.close()
        stuck.join(timeout=60)
        redis_client.delete(fresh_arrivals_key(queue))
