"""Secrets as files: ``<dir>/<tenant id>/<ref>``, the layout of a mounted Secret volume.

Read when a job asks, never cached: a rotated secret (the kubelet updates the files in place)
is used by the next attempt. The reference is checked like a storage name, so a tenant can
never name a file outside its own directory."""

from __future__ import annotations

from pathlib import Path

from jobplatform.application.secrets import SecretNotFound, SecretStore
from jobplatform.domain.storage_key import InvalidStorageName, StorageKey
from jobplatform.domain.tenant import TenantId


class FileSecretStore(SecretStore):
    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def resolve(self, tenant: TenantId, ref: str) -> str:
        try:
            key = StorageKey.of(tenant, ref)
        except InvalidStorageName:
            raise SecretNotFound("not a secret reference") from None
        tenant_dir = (self.directory / str(tenant)).resolve()
        path = self.directory.joinpath(*key.parts()).resolve()
        if not path.is_relative_to(tenant_dir) or len(key.segments) != 1:
            raise SecretNotFound("not a secret reference")
        try:
            # One trailing newline (what `echo` or an editor leaves) is not part of the secret.
            return path.read_text().removesuffix("\n")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise SecretNotFound(f"no secret {ref!r} for the tenant") from None
