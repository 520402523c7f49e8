"""Which cluster owns the machine's one real node, and whether that cluster still runs.

The real node's bridge, addresses and routes are fixed, so only one cluster per machine has it.
A run that was killed outright (SIGKILL, its processes killed by a restart of the machine's
sandbox) never ran `down`: its bridge, iptables chains and mounts stay, and every later start
would see "another test cluster's real node runs". A machine-wide record names the state
directory of the cluster that took the node; a later start whose bridge is taken reads it and,
when none of that cluster's processes is alive any more, cleans the leftovers up with that
directory's own `down` instead of giving up the real node.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

# Under /run: kept while the machine runs (as the bridge is), gone after a reboot (as it is).
RECORD = Path(os.environ.get("JOBPLATFORM_REAL_NODE_OWNER", "/run/jobplatform-real-node-owner"))


def claim(state_dir: Path) -> None:
    RECORD.write_text(str(state_dir.resolve()))


def release(state_dir: Path) -> None:
    if owner() == state_dir.resolve():
        RECORD.unlink(missing_ok=True)


def owner() -> Path | None:
    try:
        return Path(RECORD.read_text().strip())
    except OSError:
        return None


def abandoned_owner() -> Path | None:
    """The state directory of the cluster that took the real node, if none of its processes is
    alive; None when there is no record or its cluster still runs."""
    state_dir = owner()
    if state_dir is None:
        return None
    return None if runs(state_dir) else state_dir


def runs(state_dir: Path) -> bool:
    """Whether a process the cluster in state_dir started is alive. A PID alone is not proof
    (PIDs are reused): the process's command line must name the state directory, as every
    process the harness starts does (its data, config or kubeconfig paths)."""
    try:
        pids = json.loads((state_dir / "pids.json").read_text())
    except (OSError, ValueError):
        return False
    return any(_names(pid, state_dir) for pid in pids.values())


def _names(pid: int, state_dir: Path) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return str(state_dir).encode() in cmdline
