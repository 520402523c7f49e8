"""Loopback ports for local servers and processes: one helper, each port handed out once.

The kernel hands the same ephemeral port to two quick bind-and-close calls in a row, so two
processes told to listen on "a free port" could get the same one. Remembering every port given
out in this process makes them distinct.
"""

from __future__ import annotations

import socket
import threading

_given: set[int] = set()
_lock = threading.Lock()


def _probe() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_port() -> int:
    """A loopback port free right now and never returned before by this process."""
    with _lock:
        for _ in range(1_000):
            port = _probe()
            if port not in _given:
                _given.add(port)
                return port
    raise RuntimeError("no free loopback port found that was not handed out already")


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports."""
    return [free_port() for _ in range(count)]
