"""The storage port: tenant-scoped objects (uploads, reports) behind one interface."""

from __future__ import annotations

import abc
from collections.abc import Iterable
from typing import BinaryIO

from jobplatform.domain.storage_key import StorageKey


class ObjectNotFound(LookupError):
    pass


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
