"""Tenant events in a Redis list under the tenant's own key."""

from __future__ import annotations

import json
from typing import Any

import redis

from jobplatform.application.ports import EventSink
from jobplatform.domain.keys import tenant_key
from jobplatform.domain.tenant import TenantId


class RedisEventSink(EventSink):
    def __init__(self, client: redis.Redis[bytes]):
        self._client = client

    def emit(self, tenant_id: TenantId, name: str, data: dict[str, Any]) -> None:
        self._client.rpush(tenant_key(tenant_id, "events"), json.dumps({"name": name, **data}))
