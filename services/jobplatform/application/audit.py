"""Audit events of a tenant: the record and the repository port."""

from __future__ import annotations

import abc
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: uuid.UUID
    action: str
    occurred_at: datetime
    recorded_at: datetime
    actor: str | None = None
    subject: str | None = None
    request_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


class AuditLog(abc.ABC):
    @abc.abstractmethod
    def add(self, event: AuditEvent) -> bool:
        """Write the event; False if an event with its id is there already."""

    @abc.abstractmethod
    def recent(self, limit: int) -> Sequence[AuditEvent]: ...
