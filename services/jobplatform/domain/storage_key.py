"""Names of stored objects: a tenant's relative path, checked before any adapter sees it.

A name is a few ``/``-separated segments of letters, digits, ``.``, ``_`` and ``-``; no
segment is empty, starts with a dot, or is ``..``. So a name can never leave its tenant's
prefix, whatever the adapter (a filesystem, a bucket) does with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jobplatform.domain.errors import NonRetryableError
from jobplatform.domain.tenant import TenantId

SEGMENT = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")
MAX_SEGMENTS = 8


class InvalidStorageName(NonRetryableError):
    """An object name that is not a plain relative path (traversal, odd characters)."""


@dataclass(frozen=True, slots=True)
class StorageKey:
    """Where one object of one tenant lives: the tenant first, then the checked segments."""

    tenant: TenantId
    segments: tuple[str, ...]

    @classmethod
    def of(cls, tenant: TenantId, name: str) -> StorageKey:
        segments = tuple(name.split("/"))
        if not name or len(segments) > MAX_SEGMENTS:
            raise InvalidStorageName("an object name has 1 to 8 segments")
        for segment in segments:
            if not SEGMENT.fullmatch(segment):
                raise InvalidStorageName("an object name segment is not a plain name")
        return cls(tenant, segments)

    @property
    def name(self) -> str:
        return "/".join(self.segments)

    def parts(self) -> tuple[str, ...]:
        """The path parts under the storage root: the tenant id, then the name's segments."""
        return (str(self.tenant), *self.segments)
