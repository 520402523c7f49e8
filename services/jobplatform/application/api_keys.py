"""Use cases for tenants and their API keys (the CLI) and for authenticating a request."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from jobplatform.application.errors import ApplicationError, UnknownTenant
from jobplatform.domain.api_key import IssuedKey, hash_key, issue_key
from jobplatform.domain.tenant import TenantId

# Ten years: a bound that keeps the sweep's cutoff arithmetic far from any overflow.
MAX_JOB_RETENTION_DAYS = 3650


class InvalidRetention(ApplicationError):
    """A job retention that is not a whole number of days in range."""


@dataclass(frozen=True, slots=True)
class TenantRecord:
    id: TenantId
    name: str
    # Days finished jobs are kept; None: the global JOBPLATFORM_JOB_RETENTION_DAYS.
    job_retention_days: int | None


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
    def create_tenant(self, name: str, job_retention_days: int | None = None) -> TenantId: ...

    @abc.abstractmethod
    def set_job_retention(self, tenant_id: TenantId, days: int | None) -> bool:
        """Set (None: clear) the tenant's own job retention; False if no tenant has this id."""

    @abc.abstractmethod
    def describe(self) -> Sequence[TenantRecord]:
        """Every tenant, by name."""

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


def create_tenant(
    directory: TenantDirectory, name: str, job_retention_days: int | None = None
) -> TenantId:
    _check_retention(job_retention_days)
    return directory.create_tenant(name, job_retention_days)


def list_tenants(directory: TenantDirectory) -> Sequence[TenantRecord]:
    return directory.describe()


def set_job_retention(directory: TenantDirectory, tenant_id: TenantId, days: int | None) -> None:
    """Give the tenant a job retention of its own (None: back to the global one)."""
    _check_retention(days)
    if not directory.set_job_retention(tenant_id, days):
        raise UnknownTenant(f"no tenant with id {tenant_id}")


def _check_retention(days: int | None) -> None:
    if days is not None and not 1 <= days <= MAX_JOB_RETENTION_DAYS:
        raise InvalidRetention(f"a job retention is 1 to {MAX_JOB_RETENTION_DAYS} days")


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
