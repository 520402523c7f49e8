"""API key lookups remembered for a bounded time, so a request does not pay a database
transaction to learn its tenant.

A key revoked in the database is refused by every process within ``ttl_seconds``: the
cached answer expires and the next lookup sees the revocation. Unknown keys are not
remembered: a wrong key always asks the database, and a key issued a moment ago works on its
first request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from jobplatform.application.api_keys import TenantDirectory
from jobplatform.domain.api_key import hash_key
from jobplatform.domain.tenant import TenantId


class KeyCache:
    def __init__(
        self,
        directory: TenantDirectory,
        ttl_seconds: float,
        max_entries: int = 10_000,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self._directory = directory
        self._ttl = ttl_seconds
        self._max = max_entries
        self._now = monotonic
        self._entries: dict[str, tuple[TenantId, float]] = {}
        self._lock = threading.Lock()

    def remembered(self, presented: str) -> TenantId | None:
        """The tenant from memory only (no I/O, safe on an event loop); None: ask tenant_for."""
        if self._ttl <= 0 or not _plausible(presented):
            return None
        hit = self._entries.get(hash_key(presented))
        return hit[0] if hit is not None and hit[1] > self._now() else None

    def tenant_for(self, presented: str) -> TenantId | None:
        """The tenant of a live key, from memory when it was looked up less than the TTL ago."""
        if not _plausible(presented):
            return None
        # Remembered by digest: the process keeps no plaintext key beyond the request.
        digest = hash_key(presented)
        now = self._now()
        hit = self._entries.get(digest)
        if hit is not None and hit[1] > now:
            return hit[0]
        tenant = self._directory.tenant_for_digest(digest)
        if self._ttl <= 0:
            return tenant
        with self._lock:
            if tenant is None:
                self._entries.pop(digest, None)
            else:
                if len(self._entries) >= self._max:
                    # Bounded memory: drop what expired, and everything if that was not enough.
                    self._entries = {k: v for k, v in self._entries.items() if v[1] > now}
                    if len(self._entries) >= self._max:
                        self._entries.clear()
                self._entries[digest] = (tenant, now + self._ttl)
        return tenant


def _plausible(presented: str) -> bool:
    return bool(presented) and len(presented) <= 200
