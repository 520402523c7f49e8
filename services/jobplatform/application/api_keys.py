"""Use cases for tenants and their API keys (the CLI) and for authenticating a request."""

from __future__ import annotations

import abc

from jobplatform.domain.api_key import IssuedKey, hash_key, issue_key
from jobplatform.domain.tenant import TenantId


class TenantDirectory(abc.ABC):
    """Tenants and API keys. Not tenant-scoped: it is what turns a key into a tenant."""

    @abc.abstractmethod
    def create_tenant(self, name: str) -> TenantId: ...

    @abc.abstractmethod
    def store_key(self, tenant_id: TenantId, key_id: str, digest: str) -> None:
        """Raises UnknownTenant when no tenant has this id."""

    @abc.abstractmethod
    def revoke_key(self, key_id: str) -> bool: ...

    @abc.abstractmethod
    def tenant_for_digest(self, digest: str) -> TenantId | None:
        """The tenant owning a live (not revoked) key with this digest."""


def create_tenant(directory: TenantDirectory, name: str) -> TenantId:
    return directory.create_tenant(name)


def issue_api_key(directory: TenantDirectory, tenant_id: TenantId) -> IssuedKey:
    key = issue_key()
    directory.store_key(tenant_id, key.key_id, key.digest)
    return key


def authenticate(directory: TenantDirectory, presented: str) -> TenantId | None:
    if not presented or len(presented) > 200:
        return None
    return directory.tenant_for_digest(hash_key(presented))
