"""`make demo` works: the demo starts everything, its sample jobs finish, it points the CLI at
itself through a settings file it names, it restarts a process that dies, it stops cleanly,
and its heavy queue is autoscaled: the policy's decisions are printed as it grows and shrinks."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from devstack.ports import free_port
from devstack.wait import wait_for


def _demo(state: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "devstack.demo",
        "--state-dir",
        str(state),
        "--port",
        str(free_port()),
        *extra,
    ]


def test_demo_runs_its_sample_jobs_to_the_end(tmp_path: Path) -> None:
    result = subprocess.run(
        _demo(tmp_path / "demo", "--once"), capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "API key          jpk_" in out
    assert out.count("succeeded  ") == 3 and out.count("dead       ") == 1
    assert "dead letters: 1" in out
    assert f"CLI settings     {tmp_path / 'demo' / 'cli.env'}" in out
    assert "stopping" in out
    decisions = re.findall(r"autoscaler heavy: .* replicas (\d+) -> (\d+) \((\w+)\)", out)
    assert decisions, out[-3000:]
    replicas = [int(after) for _, after, _ in decisions]
    assert max(replicas) > 1, decisions  # the burst grew the pool
    assert replicas[-1] == 1, decisions  # and it went back to its minimum once drained
    assert re.search(r"autoscaler heavy: .* drain worker-heavy-\d+@local", out), decisions
    assert "burst: 12 of 12 heavy jobs succeeded; heavy workers now 1" in out


def test_the_cli_reaches_the_demo_and_a_dead_process_is_restarted(tmp_path: Path) -> None:
    out_path = tmp_path / "demo.out"
    with out_path.open("w") as out:
        demo = subprocess.Popen(
            _demo(tmp_path / "demo"), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_for(
            lambda: "the platform is running" in out_path.read_text(),
            timeout=240,
            what="the demo to be running",
        )
        text = out_path.read_text()
        cli_env = Path(re.search(r"CLI settings\s+(\S+)", text).group(1))  # type: ignore[union-attr]
        settings = dict(line.split("=", 1) for line in cli_env.read_text().splitlines())
        env = {k: v for k, v in os.environ.items() if not k.startswith("JOBPLATFORM_")}
        created = subprocess.run(
            [sys.executable, "-m", "jobplatform.interface.cli.main", "tenants", "create", "x"],
            env={**env, **settings},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert created.returncode == 0, created.stderr
        relay_pid = int(re.search(r"relay-\d+ (\d+)", text).group(1))  # type: ignore[union-attr]
        os.killpg(relay_pid, signal.SIGKILL)
        line = wait_for(
            lambda: re.search(
                r"relay-\d+ exited \(signal 9\); restarted as pid \d+", out_path.read_text()
            ),
            timeout=60,
            what="the demo to restart the relay",
        )
        assert line is not None
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=120)
    assert "stopping" in out_path.read_text()
