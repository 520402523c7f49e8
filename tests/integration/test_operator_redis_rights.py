"""The operator's probe works with exactly the Redis rights the chart gives its ACL user.

The rules are read from the chart's bundled Redis (the one place they are written; the
install guide repeats them for an external Redis), so a probe that starts to need a command
outside them fails here, not first on a cluster as a ProbeFailing alert.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import redis

from celery_autoscaler.signals.counter_batch import CounterBatch
from celery_autoscaler.signals.layout import Layout, fresh_arrivals_key
from celery_autoscaler.signals.probe import RedisProbe
from devstack.local_servers import RedisServer
from jobplatform.infrastructure.redis.fresh_arrivals import RedisFreshArrivals

BUNDLED_REDIS = Path(__file__).parents[2] / "charts/jobplatform/templates/bundled/redis.yaml"
INSTALL_GUIDE = Path(__file__).parents[2] / "docs/install.md"


def operator_rules() -> str:
    found = re.search(r"user operator on >%s ([^\\]+)\\n", BUNDLED_REDIS.read_text())
    assert found, f"no operator user in {BUNDLED_REDIS}"
    return found.group(1)


def test_the_install_guide_gives_the_operator_the_chart_s_rights() -> None:
    assert f"`{operator_rules()}`" in INSTALL_GUIDE.read_text()


def test_the_probe_and_the_burst_watch_read_with_the_operator_s_rights(
    redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    user, password = f"operator-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    queue = f"rights-{uuid.uuid4().hex[:8]}"
    redis_client.acl_setuser(user, enabled=True, reset=True)
    redis_client.execute_command("ACL", "SETUSER", user, f">{password}", *operator_rules().split())
    redis_client.lpush(queue, b"{}")
    RedisFreshArrivals(redis_client).record({queue: 3})
    probe_client = redis.Redis.from_url(redis_server.url, username=user, password=password)
    try:
        obs = RedisProbe(probe_client, Layout(queues=(queue,)), fresh_window=60).poll()
        # The burst watch's read between polls, with the same rights.
        watched = CounterBatch(window=60).counts("rights", probe_client, [queue], now=0.0)
    finally:
        probe_client.close()
        redis_client.acl_deluser(user)
        redis_client.delete(queue, fresh_arrivals_key(queue))
    assert obs.error is None
    assert obs.queues[queue].ready == 1
    counts = obs.queues[queue].fresh_arrivals
    assert counts is not None and sum(counts) == 3
    assert watched is not None and watched[0] is not None and sum(watched[0]) == 3
