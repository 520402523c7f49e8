"""Mounts left under a directory: the kubelet bind-mounts its root directory and volumes,
containerd mounts container root filesystems, /dev/shm of sandboxes and network namespaces.
All of them live under the cluster's state directory, so that is what gets unmounted."""

from __future__ import annotations

import subprocess
from pathlib import Path


def _unescape(field: str) -> str:
    # /proc/self/mountinfo escapes space, tab, newline and backslash as octal.
    return field.encode().decode("unicode_escape")


def mounts_under(root: Path) -> list[str]:
    prefix = str(root.resolve())
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = _unescape(line.split()[4])
        if point == prefix or point.startswith(prefix + "/"):
            points.append(point)
    return points


def unmount_all_under(root: Path) -> list[str]:
    """Unmount deepest first, repeating while something is left (a mount can be stacked)."""
    done: list[str] = []
    for _ in range(5):
        points = mounts_under(root)
        if not points:
            break
        for point in sorted(points, key=len, reverse=True):
            if subprocess.run(["umount", point], capture_output=True).returncode != 0:
                subprocess.run(["umount", "--lazy", point], capture_output=True)
            done.append(point)
    return done
