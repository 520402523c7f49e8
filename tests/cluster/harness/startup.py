"""Starting processes for the test cluster: a free port to give one (the project's one port
helper), and a bounded wait for it to be ready that reports the end of its log when it dies
instead (on the project's one polling helper)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from devstack.ports import free_port
from devstack.wait import GiveUp, wait_for

__all__ = ["free_port", "wait_until"]


def _tail(log: Path | None, chars: int) -> str:
    return log.read_text()[-chars:] if log and log.exists() else ""


def wait_until(
    what: str,
    probe: Callable[[], bool],
    timeout: float = 90.0,
    proc: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> None:
    def ready() -> bool:
        if proc is not None and proc.poll() is not None:
            raise GiveUp(f"{what}: the process exited with {proc.returncode}:\n{_tail(log, 4000)}")
        return bool(probe())

    try:
        wait_for(ready, timeout=timeout, interval=0.3, what=what)
    except TimeoutError:
        raise TimeoutError(f"{what}: not within {timeout}s\n{_tail(log, 3000)}") from None
