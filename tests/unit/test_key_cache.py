"""The API key cache: a remembered key costs no lookup, and a revoked key is refused once its
remembered answer is older than the TTL."""

from __future__ import annotations

import uuid
from datetime import datetime

from jobplatform.application.api_keys import KeyListing, TenantDirectory, TenantRecord
from jobplatform.application.key_cache import KeyCache
from jobplatform.domain.api_key import hash_key
from jobplatform.domain.tenant import TenantId


class Directory(TenantDirectory):
    def __init__(self) -> None:
        self.live: dict[str, TenantId] = {}
        self.lookups = 0

    def create_tenant(self, name: str, job_retention_days: int | None = None) -> TenantId:
        raise NotImplementedError

    def set_job_retention(self, tenant_id: TenantId, days: int | None) -> bool:
        raise NotImplementedError

    def describe(self) -> list[TenantRecord]:
        raise NotImplementedError

    def store_key(
        self, tenant_id: TenantId, key_id: str, digest: str, expires_at: datetime | None = None
    ) -> None:
        self.live[digest] = tenant_id

    def revoke_key(self, key_id: str) -> bool:
        raise NotImplementedError

    def tenant_for_digest(self, digest: str) -> TenantId | None:
        self.lookups += 1
        return self.live.get(digest)

    def keys_of(self, tenant_id: TenantId) -> list[KeyListing]:
        raise NotImplementedError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _world(ttl: float, max_entries: int = 100) -> tuple[Directory, Clock, KeyCache, TenantId]:
    directory, clock = Directory(), Clock()
    tenant = TenantId(uuid.uuid4())
    directory.store_key(tenant, "k", hash_key("jpk_k_secret"))
    return directory, clock, KeyCache(directory, ttl, max_entries, clock), tenant


def test_a_remembered_key_is_not_looked_up_again_within_the_ttl() -> None:
    directory, clock, cache, tenant = _world(ttl=10)
    assert cache.remembered("jpk_k_secret") is None  # nothing remembered yet
    assert cache.tenant_for("jpk_k_secret") == tenant
    clock.now += 9.9
    assert cache.remembered("jpk_k_secret") == tenant
    assert cache.tenant_for("jpk_k_secret") == tenant
    assert directory.lookups == 1


def test_a_revoked_key_is_refused_once_the_ttl_has_passed() -> None:
    directory, clock, cache, tenant = _world(ttl=10)
    assert cache.tenant_for("jpk_k_secret") == tenant
    directory.live.clear()  # revoked in the database, by another process
    clock.now += 10
    assert cache.remembered("jpk_k_secret") is None
    assert cache.tenant_for("jpk_k_secret") is None
    assert cache.tenant_for("jpk_k_secret") is None
    assert directory.lookups == 3  # a refused key is never remembered


def test_ttl_zero_looks_every_key_up() -> None:
    directory, _, cache, tenant = _world(ttl=0)
    assert cache.remembered("jpk_k_secret") is None
    assert [cache.tenant_for("jpk_k_secret") for _ in range(3)] == [tenant] * 3
    assert directory.lookups == 3


def test_memory_is_bounded() -> None:
    directory, _, cache, tenant = _world(ttl=10, max_entries=5)
    for i in range(20):
        directory.store_key(tenant, str(i), hash_key(f"jpk_{i}_s"))
        assert cache.tenant_for(f"jpk_{i}_s") == tenant
        assert len(cache._entries) <= 5


def test_implausible_keys_are_refused_without_a_lookup() -> None:
    directory, _, cache, _ = _world(ttl=10)
    assert cache.tenant_for("") is None
    assert cache.tenant_for("x" * 201) is None
    assert directory.lookups == 0
