"""Polling with a deadline: tests wait for a state, they never assert on elapsed time.

tenacity does the retrying; this wrapper keeps one signature for every caller and a
message that says what was awaited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception,
    retry_if_result,
    stop_after_delay,
    wait_fixed,
)

T = TypeVar("T")


class GiveUp(RuntimeError):
    """Raised by a probe when waiting longer cannot help (the awaited process died)."""


def _not_yet(exc: BaseException) -> bool:
    return isinstance(exc, Exception) and not isinstance(exc, GiveUp)


def wait_for(
    probe: Callable[[], T | None],
    timeout: float = 30.0,
    interval: float = 0.1,
    what: str = "condition",
) -> T:
    """Call ``probe`` until it returns a truthy value (exceptions count as "not yet", except
    ``GiveUp``, which ends the wait at once)."""
    retrying = Retrying(
        stop=stop_after_delay(timeout),
        wait=wait_fixed(interval),
        retry=retry_if_exception(_not_yet) | retry_if_result(lambda value: not value),
        reraise=False,
    )
    try:
        value = retrying(probe)
    except GiveUp:
        raise
    except RetryError as exc:
        last = exc.last_attempt
        error = last.exception() if last.failed else None
        raise TimeoutError(
            f"timed out after {timeout}s waiting for {what}"
            + (f" (last error: {error!r})" if error else "")
        ) from None
    # Retrying returns only a truthy value (retry_if_result), so never None here.
    return cast(T, value)
