"""Exponential backoff with jitter and a retry cap, per job type."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = 3
    backoff_factor: float = 2.0
    backoff_max: float = 600.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if self.backoff_factor <= 0 or self.backoff_max < self.backoff_factor:
            raise ValueError("need 0 < backoff_factor <= backoff_max")

    @property
    def max_attempts(self) -> int:
        return self.max_retries + 1

    def may_retry(self, retries_done: int) -> bool:
        return retries_done < self.max_retries

    def delay(self, retries_done: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``retries_done + 1``.

        "Equal jitter": half the exponential step is fixed and half is random, so delays
        spread out between workers, yet below the cap a retry never waits less than the one
        before it.
        """
        step = float(min(self.backoff_max, self.backoff_factor * 2.0**retries_done))
        rand: float = (rng or random).random()
        return step / 2 + rand * step / 2
