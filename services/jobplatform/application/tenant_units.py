"""Units of work of one tenant: all a job handler may open."""

from __future__ import annotations

from jobplatform.application.ports import UnitOfWork, UnitOfWorkFactory
from jobplatform.domain.tenant import TenantId


class TenantUnits:
    """Opens units of work scoped to one tenant, fixed when the run starts.

    Handlers get this instead of the factory, so no handler can reach the factory's
    cross-tenant ``system()`` units of work, nor open a unit of work for another tenant."""

    __slots__ = ("_factory", "tenant")

    def __init__(self, factory: UnitOfWorkFactory, tenant: TenantId):
        self._factory = factory
        self.tenant = tenant

    def open(self) -> UnitOfWork:
        return self._factory.for_tenant(self.tenant)
