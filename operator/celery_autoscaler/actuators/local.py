"""Local worker processes for `make demo`: the same decisions, applied to subprocesses.

Scale-in stops the named idle workers first (the drain the policy chose), the newest others
after; a stopped worker gets SIGTERM, which Celery turns into a warm shutdown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


class Worker(Protocol):
    hostname: str

    def stop(self) -> None: ...


@dataclass
class LocalProcessActuator:
    start: Callable[[int], Worker]  # serial number -> a running worker
    workers: list[Worker] = field(default_factory=list)
    _serial: int = 0

    @property
    def replicas(self) -> int:
        return len(self.workers)

    def scale(self, replicas: int, drain: tuple[str, ...] = ()) -> None:
        while len(self.workers) < replicas:
            self._serial += 1
            self.workers.append(self.start(self._serial))
        excess = len(self.workers) - replicas
        if excess <= 0:
            return
        chosen = [w for w in self.workers if w.hostname in drain][:excess]
        rest = [w for w in reversed(self.workers) if w not in chosen]
        for worker in chosen + rest[: excess - len(chosen)]:
            worker.stop()
            self.workers.remove(worker)
