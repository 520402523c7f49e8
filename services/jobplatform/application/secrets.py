"""The secret port: jobs name a secret by reference; the worker resolves it when it runs.

A secret never travels in a payload, a message or a log line: only its reference does."""

from __future__ import annotations

import abc

from jobplatform.domain.errors import NonRetryableError
from jobplatform.domain.tenant import TenantId


class SecretNotFound(NonRetryableError):
    """The tenant has no secret under that reference (a configuration error)."""


class SecretStore(abc.ABC):
    @abc.abstractmethod
    def resolve(self, tenant: TenantId, ref: str) -> str:
        """The tenant's secret named ``ref``; raises SecretNotFound."""

    @abc.abstractmethod
    def resolve_platform(self, ref: str) -> str:
        """A secret of the platform itself (its SMTP password), not of any tenant."""
