"""The one helper that builds every tenant-scoped Redis and cache key (ADR-006 rule 4)."""

from __future__ import annotations

from jobplatform.domain.tenant import TenantId

PREFIX = "jobplatform"


def _check(part: str) -> str:
    if not part or ":" in part or any(ch.isspace() for ch in part):
        raise ValueError(f"key part must be non-empty, without ':' or spaces: {part!r}")
    return part


def tenant_key(tenant_id: TenantId, *parts: str) -> str:
    """``jobplatform:tenant:<tenant_id>:<part>:...``: a key no other tenant can collide with."""
    if not isinstance(tenant_id, TenantId):
        raise TypeError("tenant_key needs a TenantId")
    return ":".join([PREFIX, "tenant", str(tenant_id), *(_check(p) for p in parts)])


def platform_key(*parts: str) -> str:
    """Keys that hold no tenant data (worker heartbeats, per-queue counters, locks)."""
    return ":".join([PREFIX, *(_check(p) for p in parts)])
