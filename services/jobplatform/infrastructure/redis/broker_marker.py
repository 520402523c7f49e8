"""A key in the broker's Redis whose disappearance means the broker lost its messages."""

from __future__ import annotations

import uuid

import redis

from jobplatform.application.ports import BrokerMarker

MARKER_KEY = "jobplatform:broker-marker"


class RedisBrokerMarker(BrokerMarker):
    def __init__(self, client: redis.Redis[bytes]):
        self._client = client

    def lost_since_last_check(self) -> bool | None:
        # SET NX succeeds only when the key is missing: on first start (nothing in flight to
        # lose yet) or after the data set was lost. Persisted with the data set, so a clean
        # restart with the append-only file keeps it, and messages, too.
        try:
            return bool(self._client.set(MARKER_KEY, uuid.uuid4().hex, nx=True))
        except redis.RedisError:
            return None
