"""The relay's batches reach Redis whole, in one pipeline, as ordinary task messages."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import redis

from devstack.local_servers import RedisServer
from devstack.ports import free_port
from jobplatform.application.records import OutboxMessage
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.bootstrap import bootstrap
from jobplatform.infrastructure.celery.publisher import CeleryPublisher
from jobplatform.infrastructure.settings import Settings


def _messages(queue: str, n: int) -> list[OutboxMessage]:
    tenant = TenantId(uuid.uuid4())
    return [
        OutboxMessage(
            id=i,
            job_id=uuid.uuid4(),
            tenant_id=tenant,
            job_type="noop",
            queue=queue,
            request_id=f"req-{i}",
            created_at=datetime.now(UTC),
        )
        for i in range(n)
    ]


def test_a_batch_lands_whole_with_each_job_s_headers(
    database_url: str, redis_server: RedisServer
) -> None:
    c = bootstrap(Settings(database_url=database_url, redis_url=redis_server.url))
    queue = f"relay-batch-{uuid.uuid4().hex[:8]}"
    batch = _messages(queue, 25)
    try:
        sent = CeleryPublisher(c.celery).publish_batch(batch)
    finally:
        c.close()
    assert (sent.taken, sent.error) == (25, None)
    client = redis.Redis.from_url(redis_server.url)
    landed = [json.loads(raw) for raw in reversed(client.lrange(queue, 0, -1))]
    client.delete(queue)
    assert [m["headers"]["job_id"] for m in landed] == [str(m.job_id) for m in batch]
    assert {m["headers"]["tenant_id"] for m in landed} == {str(batch[0].tenant_id)}
    assert all(m["headers"]["published_at"] for m in landed)


def test_a_batch_the_broker_refuses_is_reported_not_taken(database_url: str) -> None:
    down = f"redis://127.0.0.1:{free_port()}/0"
    c = bootstrap(Settings(database_url=database_url, redis_url=down))
    try:
        sent = CeleryPublisher(c.celery).publish_batch(_messages("default", 3))
    finally:
        c.close()
    assert sent.taken == 0 and sent.error is not None


def test_a_batch_redis_refuses_once_sent_is_a_reported_failure_then_heals(
    database_url: str,
) -> None:
    broker = RedisServer().start()
    admin = redis.Redis.from_url(broker.url)
    c = bootstrap(Settings(database_url=database_url, redis_url=broker.url))
    publisher = CeleryPublisher(c.celery)
    try:
        assert publisher.publish_batch(_messages("refused", 2)).taken == 2
        # Out of memory: the connection is fine, the pipeline is sent, every LPUSH refused.
        admin.config_set("maxmemory-policy", "noeviction")
        admin.config_set("maxmemory", 1)
        refused = publisher.publish_batch(_messages("refused", 2))
        admin.config_set("maxmemory", 0)
        healed = publisher.publish_batch(_messages("refused", 2))
    finally:
        c.close()
        admin.close()
        broker.close()
    assert refused.taken == 0 and refused.error is not None
    assert (healed.taken, healed.error) == (2, None)
