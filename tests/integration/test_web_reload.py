"""`jobplatform web --reload-dir` (the chart's development-only web.devReload): run from a
copy of the package first on PYTHONPATH, the server serves an edit of that copy without being
restarted from outside, the way `skaffold dev` relies on in the web pod."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import jobplatform
from devstack.ports import free_port
from devstack.processes import PlatformEnv, PlatformProcess
from devstack.wait import wait_for

LIVENESS = 'return {"status": "ok"}'


@pytest.fixture
def source(tmp_path: Path) -> Path:
    # What the chart's init container does: the installed package, copied to a writable path.
    src = tmp_path / "src"
    shutil.copytree(
        Path(jobplatform.__file__).parent,
        src / "jobplatform",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return src


@pytest.fixture
def reloading_web(platform_env: PlatformEnv, source: Path) -> Iterator[str]:
    port = free_port()
    proc = PlatformProcess(
        f"web-reload-{port}",
        ["web", "--port", str(port), "--reload-dir", str(source)],
        platform_env.environ(PYTHONPATH=str(source)),
        platform_env.log_dir,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: httpx.get(f"{base}/healthz", timeout=1).status_code == 200,
            timeout=60,
            interval=0.3,
            what="the reloading web server",
        )
        yield base
    finally:
        proc.stop()


def test_an_edit_of_the_copy_is_served_by_the_running_server(
    reloading_web: str, source: Path
) -> None:
    assert httpx.get(f"{reloading_web}/healthz").json() == {"status": "ok"}
    routes = source / "jobplatform" / "interface" / "http" / "routes_health.py"
    original = routes.read_text()
    assert LIVENESS in original
    routes.write_text(original.replace(LIVENESS, 'return {"status": "ok", "edited": "yes"}'))
    wait_for(
        lambda: httpx.get(f"{reloading_web}/healthz", timeout=1).json().get("edited") == "yes",
        timeout=60,
        interval=0.5,
        what="the server to serve the edited liveness route",
    )
