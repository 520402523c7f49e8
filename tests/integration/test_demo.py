"""`make demo` works: the demo starts everything, its sample jobs finish, it stops cleanly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from devstack.ports import free_port


def test_demo_runs_its_sample_jobs_to_the_end(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "devstack.demo",
            "--state-dir",
            str(tmp_path / "demo"),
            "--port",
            str(free_port()),
            "--once",
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "API key          jpk_" in out
    assert out.count("succeeded  ") == 4 and out.count("dead       ") == 1
    assert "dead letters: 1" in out
    assert "stopping" in out
