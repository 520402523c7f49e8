"""The kubelet (cgroupfs driver) creates a `kubepods` cgroup in every hierarchy; it is removed
when the node stops, once no process is left in it."""

from __future__ import annotations

import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
KUBELET_CGROUP = "kubepods"


def kubelet_cgroups() -> list[Path]:
    found = []
    for hierarchy in CGROUP_ROOT.iterdir():
        candidate = hierarchy / KUBELET_CGROUP
        if candidate.is_dir() and not candidate.is_symlink():
            found.append(candidate)
    return found


def remove_kubelet_cgroups() -> list[str]:
    """rmdir from the leaves up (cgroup directories cannot be removed recursively)."""
    removed = []
    for top in kubelet_cgroups():
        for dirpath, _dirs, _files in sorted(os.walk(top), key=lambda w: -len(w[0])):
            try:
                os.rmdir(dirpath)
            except OSError:
                continue
        if not top.exists():
            removed.append(str(top))
    return removed
