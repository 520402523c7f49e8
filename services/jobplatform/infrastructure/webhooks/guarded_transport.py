"""httpx's transport over the guarded network backend (guarded_backend.py)."""

from __future__ import annotations

import ssl

import httpcore
import httpx

from jobplatform.infrastructure.webhooks.guarded_backend import GuardedNetworkBackend


class GuardedTransport(httpx.HTTPTransport):
    def __init__(self, backend: GuardedNetworkBackend, ssl_context: ssl.SSLContext):
        super().__init__(trust_env=False)
        # httpx builds its pool without a way to name the network backend: the same pool is
        # built again with it. Refuse to run if httpx changed shape, rather than connect
        # unguarded.
        if not isinstance(getattr(self, "_pool", None), httpcore.ConnectionPool):
            raise RuntimeError("httpx's transport has no connection pool to guard")
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            network_backend=backend,
        )
