"""The storage port: tenant-scoped objects (uploads, reports) behind one interface."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from jobplatform.domain.storage_key import StorageKey
from jobplatform.domain.tenant import TenantId


class ObjectNotFound(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: StorageKey
    modified_at: datetime


class Storage(abc.ABC):
    """Objects are written whole (readers never see a half-written one) and read as streams."""

    @abc.abstractmethod
    def write(self, key: StorageKey, chunks: Iterable[bytes]) -> int:
        """Store the chunks under ``key`` (replacing any object there); the bytes written."""

    @abc.abstractmethod
    def open(self, key: StorageKey) -> BinaryIO:
        """A binary stream of the object; raises ObjectNotFound."""

    @abc.abstractmethod
    def exists(self, key: StorageKey) -> bool: ...

    @abc.abstractmethod
    def delete(self, key: StorageKey) -> bool:
        """Remove the object; False if there was none."""

    @abc.abstractmethod
    def list_folder(self, tenant: TenantId, folder: str) -> Iterator[StoredObject]:
        """The objects directly in one folder of the tenant's (``uploads``), in no order."""
