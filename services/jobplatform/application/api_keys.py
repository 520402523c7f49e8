"""Use cases for tenants and their API keys (the CLI) and for authenticating a request."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime

from jobplatform.domain.api_key import IssuedKey, hash_key, issue_key
from jobplatform.domain.tenant import TenantId


@dataclass(frozen=True, slots=True)
class KeyListing:
    """What an operator may see of a key: never its secret or its digest."""

    key_id: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "live"


class TenantDirectory(abc.ABC):
    """Tenants and API keys. Not tenant-scoped: it is what turns a key into a tenant."""

    @abc.abstractmethod
    def create_tenant(self, name: str) -> TenantId: ...

    @abc.abstractmethod
    def store_key(
        self, tenant_id: TenantId, key_id: str, digest: str, expires_at: datetime | None = None
    ) -> None:
        """Raises UnknownTenant when no tenant has this id. A key with ``expires_at`` is
        refused from that instant on (the web's key cache may answer for its TTL more)."""

    @abc.abstractmethod
    def revoke_key(self, key_id: str) -> bool: ...

    @abc.abstractmethod
    def tenant_for_digest(self, digest: str) -> TenantId | None:
        """The tenant owning a live (neither revoked nor expired) key with this digest."""

    @abc.abstractmethod
    def keys_of(self, tenant_id: TenantId) -> list[KeyListing]:
        """The tenant's keys not pruned yet, oldest first."""


def create_tenant(directory: TenantDirectory, name: str) -> TenantId:
    return directory.create_tenant(name)


def issue_api_key(
    directory: TenantDirectory, tenant_id: TenantId, expires_at: datetime | None = None
) -> IssuedKey:
    key = issue_key()
    directory.store_key(tenant_id, key.key_id, key.digest, expires_at)
    return key


def authenticate(directory: TenantDirectory, presented: str) -> TenantId | None:
    if not presented or len(presented) > 200:
        return None
    return directory.tenant_for_digest(hash_key(presented))
