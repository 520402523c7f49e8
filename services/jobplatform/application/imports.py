"""CSV import's ports: the tenant's contacts and each import's progress."""

from __future__ import annotations

import abc
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from jobplatform.domain.csv_import import ContactRecord


@dataclass(frozen=True, slots=True)
class ImportProgress:
    rows_total: int
    rows_done: int
    rows_rejected: int
    # Rows that created or changed a contact (an import run twice changes none the second time).
    rows_changed: int
    error_report: str | None = None


class Contacts(abc.ABC):
    @abc.abstractmethod
    def upsert(self, records: Sequence[ContactRecord], at: datetime) -> int:
        """Insert or update by id; the number of rows created or changed."""


class ImportUploads(abc.ABC):
    @abc.abstractmethod
    def in_use(self, names: Sequence[str]) -> set[str]:
        """Those of the upload names that an import not yet finished still has to read."""


class ImportProgressLog(abc.ABC):
    @abc.abstractmethod
    def save(self, job_id: uuid.UUID, progress: ImportProgress, at: datetime) -> None: ...

    @abc.abstractmethod
    def get(self, job_id: uuid.UUID) -> ImportProgress | None: ...
