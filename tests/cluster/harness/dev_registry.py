"""The dev loop's image registry: go-containerregistry's in-memory registry on a free loopback
port. skaffold pushes the images it built there (without a Docker daemon it can learn an
image's digest only from a registry), and the real node's containerd pulls them from it:
containerd speaks plain HTTP to a loopback registry and never sends loopback traffic through
a proxy, so the node needs no registry configuration. Nothing outside the machine can reach
it, and its images are gone when it stops."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import urllib.request
from pathlib import Path
from types import TracebackType

if __package__ in (None, ""):
    from harness.startup import free_port, wait_until  # type: ignore[no-redef]
else:
    from .startup import free_port, wait_until


class DevRegistry:
    def __init__(self, bin_dir: Path, log: Path) -> None:
        self.binary = bin_dir / "registry"
        self.log = log
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        """What skaffold takes as its default repository."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> DevRegistry:
        self.port = free_port()
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [str(self.binary), "-port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(
            f"the image registry on {self.address}",
            lambda: self._get("/v2/") is not None,
            timeout=30,
            proc=self.proc,
            log=self.log,
        )
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def tags(self, repository: str) -> list[str]:
        """The tags pushed to one repository: one per image build skaffold pushed."""
        listing = self._get(f"/v2/{repository}/tags/list")
        return sorted(listing.get("tags") or []) if listing else []

    def _get(self, path: str) -> dict[str, object] | None:
        # Straight to the loopback port, whatever proxy the environment names.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(f"http://{self.address}{path}", timeout=5) as resp:
                body = resp.read()
        except OSError:
            return None
        return dict(json.loads(body)) if body.strip() else {}

    def __enter__(self) -> DevRegistry:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
