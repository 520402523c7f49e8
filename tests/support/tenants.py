"""Tenants and API keys for tests, made through the same use cases the CLI calls."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from jobplatform.application.api_keys import create_tenant, issue_api_key
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.container import Container


@dataclass(frozen=True)
class TenantFixture:
    id: TenantId
    api_key: str
    key_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


# Every secret the suite hands to the platform, so the log scan can look for each of them.
SECRETS_USED: list[str] = []


def make_tenant(c: Container, name: str | None = None) -> TenantFixture:
    tenant = create_tenant(c.tenants, name or f"tenant-{uuid.uuid4().hex[:10]}")
    key = issue_api_key(c.tenants, tenant)
    SECRETS_USED.append(key.plaintext)
    return TenantFixture(id=tenant, api_key=key.plaintext, key_id=key.key_id)
