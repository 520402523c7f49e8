"""At-most-once side effects: a Postgres ledger row per (tenant, job, effect key)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from jobplatform.application.ports import Clock
from jobplatform.application.tenant_units import TenantUnits


class EffectGuard:
    """Handed to a handler so a retried or redelivered job never repeats an effect.

    The ledger row is committed before the effect runs: if the worker dies between the two,
    the effect is skipped on redelivery (at most once), never done twice.
    """

    def __init__(self, job_id: uuid.UUID, units: TenantUnits, clock: Clock):
        self._job_id = job_id
        self._units = units
        self._clock = clock

    def once(self, effect_key: str, action: Callable[[], None]) -> bool:
        """Run ``action`` unless this job already claimed ``effect_key``; True if it ran."""
        with self._units.open() as uow:
            claimed = uow.effects.claim(self._job_id, effect_key, self._clock.now())
            uow.commit()
        if claimed:
            action()
        return claimed

    def attempt(self, effect_key: str, action: Callable[[], None]) -> bool:
        """Like ``once``, but an action that raises gives its claim back, so the job's next
        attempt tries the effect again. One that succeeded, or whose worker died while it
        ran, is never tried again (at most once)."""
        with self._units.open() as uow:
            claimed = uow.effects.claim(self._job_id, effect_key, self._clock.now())
            uow.commit()
        if not claimed:
            return False
        try:
            action()
        except BaseException:
            with self._units.open() as uow:
                uow.effects.release(self._job_id, effect_key)
                uow.commit()
            raise
        return True
