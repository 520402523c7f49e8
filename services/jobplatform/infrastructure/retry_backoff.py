"""Capped exponential backoff for long-running loops that must outlive a Redis or Postgres
restart: each failed attempt is logged with its number and the wait before the next one."""

from __future__ import annotations

import random
from typing import Any


class Backoff:
    def __init__(self, process: str, log: Any, first: float = 0.2, cap: float = 5.0):
        self._process, self._log = process, log
        self._first, self._cap = first, cap
        self._failures = 0

    def failed(self, exc: BaseException) -> float:
        """Count a failed attempt, log it, and return how long to wait before the next."""
        self._failures += 1
        delay: float = min(self._cap, self._first * 2.0 ** (self._failures - 1))
        delay *= random.uniform(0.5, 1.0)  # several processes must not retry in lockstep
        self._log.warning(
            "dependency_unavailable",
            process=self._process,
            attempt=self._failures,
            error_class=type(exc).__name__,
            retry_in=round(delay, 2),
        )
        return delay

    def recovered(self) -> None:
        if self._failures:
            self._log.info("dependency_back", process=self._process, after=self._failures)
        self._failures = 0

    @property
    def failing(self) -> bool:
        return self._failures > 0
