"""The demo needs Debian's redis-server and postgresql; as root it installs them."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess


def missing() -> list[str]:
    need = []
    if not (shutil.which("redis-server") or os.path.exists("/usr/bin/redis-server")):
        need.append("redis-server")
    if not glob.glob("/usr/lib/postgresql/*/bin/postgres") and not shutil.which("postgres"):
        need.append("postgresql")
    return need


def ensure() -> None:
    need = missing()
    if not need:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit(
            f"missing {', '.join(need)}: install them "
            f"(Debian/Ubuntu: sudo apt-get install -y {' '.join(need)})"
        )
    print(f"installing {', '.join(need)} with apt-get ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *need], check=True, env=env)
