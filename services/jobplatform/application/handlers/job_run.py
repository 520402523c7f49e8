"""What a handler receives besides its payload."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from jobplatform.application.effects import EffectGuard
from jobplatform.application.job_services import JobServices
from jobplatform.application.ports import Clock, EventSink
from jobplatform.application.tenant_units import TenantUnits
from jobplatform.domain.tenant import TenantContext


@dataclass(frozen=True, slots=True)
class JobRun:
    job_id: uuid.UUID
    context: TenantContext
    attempt: int
    effects: EffectGuard
    events: EventSink
    # Units of work of the run's own tenant only: a handler has no cross-tenant path.
    units: TenantUnits
    clock: Clock
    # Ports to the outside world (storage, secrets, webhooks, mail) this process wired.
    services: JobServices = field(default_factory=JobServices)
