"""Tenant identity: the invariant every job, key and query carries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TenantId:
    value: uuid.UUID

    @classmethod
    def parse(cls, raw: str | uuid.UUID) -> TenantId:
        if isinstance(raw, uuid.UUID):
            return cls(raw)
        try:
            return cls(uuid.UUID(str(raw)))
        except (ValueError, AttributeError) as exc:
            raise ValueError(f"not a tenant id: {raw!r}") from exc

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True, slots=True)
class TenantContext:
    """Who a piece of work runs for. Rebuilt explicitly in every worker before a job runs."""

    tenant_id: TenantId
    job_id: uuid.UUID | None = None
    request_id: str | None = None
