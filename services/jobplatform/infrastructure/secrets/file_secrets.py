"""Secrets as files: ``<dir>/<tenant id>/<ref>`` (the platform's own: ``<dir>/platform/<ref>``),
the layout of a mounted Secret volume.

Read when a job asks, never cached: a rotated secret (the kubelet updates the files in place)
is used by the next attempt. The reference is checked like a storage name, so a tenant can
never name a file outside its own directory."""

from __future__ import annotations

import uuid
from pathlib import Path

from jobplatform.application.secrets import SecretNotFound, SecretStore
from jobplatform.domain.storage_key import InvalidStorageName, StorageKey
from jobplatform.domain.tenant import TenantId

PLATFORM_DIR = "platform"
# Only the name's checks of StorageKey are used here; the owner directory is chosen above.
PLACEHOLDER_TENANT = TenantId(uuid.UUID(int=0))


class FileSecretStore(SecretStore):
    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def resolve(self, tenant: TenantId, ref: str) -> str:
        return self._read(str(tenant), ref)

    def resolve_platform(self, ref: str) -> str:
        # Tenant directories are named by UUID: "platform" can never be one of them.
        return self._read(PLATFORM_DIR, ref)

    def _read(self, owner: str, ref: str) -> str:
        try:
            key = StorageKey.of(PLACEHOLDER_TENANT, ref)
        except InvalidStorageName:
            raise SecretNotFound("not a secret reference") from None
        owner_dir = (self.directory / owner).resolve()
        path = (self.directory / owner).joinpath(*key.segments).resolve()
        if not path.is_relative_to(owner_dir) or len(key.segments) != 1:
            raise SecretNotFound("not a secret reference")
        try:
            # One trailing newline (what `echo` or an editor leaves) is not part of the secret.
            return path.read_text().removesuffix("\n")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise SecretNotFound(f"no secret {ref!r}") from None
