"""A worker's memory, read from /proc: the worker process and its pool children, so the
figure includes the child that runs the job (prefork runs each task in a child)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


def _status_kib(pid: int, key: str) -> int:
    """A ``VmXxx`` line of /proc/<pid>/status in KiB; 0 once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                children = (task / "children").read_text().split()
                todo.extend(int(c) for c in children)
        except OSError:
            continue
    return found


@dataclass
class PeakMemory:
    """Sampled while the job runs: the highest total RSS of the tree seen, and each process's
    own high-water mark (VmHWM, kept by the kernel, so no peak between samples is missed)."""

    root: int
    peak_total_kib: int = 0
    hwm_kib: dict[int, int] = field(default_factory=dict)

    def sample(self) -> None:
        pids = process_tree(self.root)
        self.peak_total_kib = max(self.peak_total_kib, sum(_status_kib(p, "VmRSS") for p in pids))
        for p in pids:
            self.hwm_kib[p] = max(self.hwm_kib.get(p, 0), _status_kib(p, "VmHWM"))

    @property
    def largest_process_mib(self) -> float:
        return max(self.hwm_kib.values(), default=0) / 1024

    @property
    def peak_total_mib(self) -> float:
        return self.peak_total_kib / 1024
