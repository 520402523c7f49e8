"""The storage port on a local directory: ``<root>/<tenant id>/<name>``.

In Kubernetes the root is a volume shared by web and workers. Names are already checked by
``StorageKey``; the resolved path is checked again here, so a symlink planted under the root
cannot lead a read or write outside the tenant's directory either.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from jobplatform.application.storage import ObjectNotFound, Storage, StoredObject
from jobplatform.domain.storage_key import InvalidStorageName, StorageKey
from jobplatform.domain.tenant import TenantId


class LocalFileStorage(Storage):
    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: StorageKey) -> Path:
        tenant_dir = (self.root / str(key.tenant)).resolve()
        path = self.root.joinpath(*key.parts()).resolve()
        if not path.is_relative_to(tenant_dir) or path == tenant_dir:
            raise InvalidStorageName("the object path leaves the tenant's directory")
        return path

    def write(self, key: StorageKey, chunks: Iterable[bytes]) -> int:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target and renamed over it: a reader sees the old object or the
        # whole new one, never a part.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        written = 0
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                    written += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return written

    def open(self, key: StorageKey) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key.name) from None

    def exists(self, key: StorageKey) -> bool:
        return self._path(key).is_file()

    def delete(self, key: StorageKey) -> bool:
        try:
            self._path(key).unlink()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return False
        return True

    def list_folder(self, tenant: TenantId, folder: str) -> Iterator[StoredObject]:
        directory = self._path(StorageKey.of(tenant, folder))
        try:
            entries = list(os.scandir(directory))
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            try:
                key = StorageKey.of(tenant, f"{folder}/{entry.name}")
            except InvalidStorageName:
                continue  # not an object: a write in progress (.part-*), or a stranger's file
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                modified = entry.stat(follow_symlinks=False).st_mtime
            except FileNotFoundError:
                continue  # removed meanwhile
            yield StoredObject(key, datetime.fromtimestamp(modified, UTC))
