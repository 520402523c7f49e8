"""The record of which cluster owns the real node tells a live owner from one that was killed
without its `down`, with real processes: a cluster that left its node behind is cleaned up by
the next start, a running one never is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cluster.harness import node_owner
from devstack.wait import wait_for


@pytest.fixture
def record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "owner"
    monkeypatch.setattr(node_owner, "RECORD", path)
    return path


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    state = tmp_path / "cluster"
    state.mkdir()
    return state


@pytest.fixture
def daemon(state_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A process started the way the harness starts its daemons: its command line names a
    file in the state directory."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; time.sleep(600)", str(state_dir / "etcd")]
    )
    # Popen returns once the exec is under way, but the kernel fills /proc/<pid>/cmdline a
    # moment later (a niced test reads it empty): the harness reads it minutes after a start.
    wait_for(
        lambda: str(state_dir).encode() in Path(f"/proc/{proc.pid}/cmdline").read_bytes(),
        timeout=30,
        what="the daemon's command line",
    )
    (state_dir / "pids.json").write_text(json.dumps({"etcd": proc.pid}))
    yield proc
    proc.kill()
    proc.wait()


def test_a_cluster_whose_process_runs_is_not_abandoned(
    record: Path, state_dir: Path, daemon: subprocess.Popen[bytes]
) -> None:
    node_owner.claim(state_dir)
    assert node_owner.owner() == state_dir.resolve()
    assert node_owner.runs(state_dir)
    assert node_owner.abandoned_owner() is None


def test_a_cluster_whose_processes_were_killed_is_abandoned(
    record: Path, state_dir: Path, daemon: subprocess.Popen[bytes]
) -> None:
    node_owner.claim(state_dir)
    daemon.kill()
    daemon.wait()
    assert node_owner.abandoned_owner() == state_dir.resolve()


def test_a_reused_pid_of_another_program_does_not_keep_a_cluster_alive(
    record: Path, state_dir: Path
) -> None:
    # This test's own process is alive, but its command line does not name the state dir.
    (state_dir / "pids.json").write_text(json.dumps({"etcd": os.getpid()}))
    node_owner.claim(state_dir)
    assert node_owner.abandoned_owner() == state_dir.resolve()


def test_release_forgets_only_its_own_claim(record: Path, state_dir: Path, tmp_path: Path) -> None:
    node_owner.claim(state_dir)
    node_owner.release(tmp_path / "another")
    assert node_owner.owner() == state_dir.resolve()
    node_owner.release(state_dir)
    assert node_owner.owner() is None
    assert node_owner.abandoned_owner() is None
