"""What a handler receives besides its payload."""

from __future__ import annotations

from dataclasses import dataclass

from jobplatform.application.effects import EffectGuard
from jobplatform.application.ports import Clock, EventSink, UnitOfWorkFactory
from jobplatform.domain.tenant import TenantContext


@dataclass(frozen=True, slots=True)
class JobRun:
    context: TenantContext
    attempt: int
    effects: EffectGuard
    events: EventSink
    uow_factory: UnitOfWorkFactory
    clock: Clock
