"""Starting processes for the test cluster: a free port to give one, and a bounded wait for it
to be ready that reports the end of its log when it dies instead."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(
    what: str,
    probe: Callable[[], bool],
    timeout: float = 90.0,
    proc: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text()[-4000:] if log and log.exists() else ""
            raise RuntimeError(f"{what}: the process exited with {proc.returncode}:\n{tail}")
        try:
            if probe():
                return
        except Exception:  # still starting
            pass
        time.sleep(0.3)
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    raise TimeoutError(f"{what}: not within {timeout}s\n{tail}")
