"""Real Redis and Postgres servers on loopback, in a directory of their own, started and stopped
by the demo and by the tests (Debian's redis-server and postgresql)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import redis

from devstack.ports import free_port
from devstack.wait import wait_for


def _find(binary: str, extra: list[str]) -> str:
    found = shutil.which(binary)
    for candidate in [found, *extra]:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError(
        f"{binary} not found: install it (.ci/run does: apt-get install redis-server postgresql)"
    )


class RedisServer:
    """With ``append_only`` (the default) every write goes to an append-only file synced each
    second, so a clean restart keeps the broker's messages, as in production."""

    def __init__(
        self, directory: Path | None = None, port: int | None = None, append_only: bool = True
    ) -> None:
        self.port = port or free_port()
        self.append_only = append_only
        self.dir = directory or Path(tempfile.mkdtemp(prefix="jp-redis-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = _find("redis-server", ["/usr/bin/redis-server"])
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.dir),
                "--save",
                "",
                "--appendonly",
                "yes" if self.append_only else "no",
                "--appendfsync",
                "everysec",
                "--maxmemory-policy",
                "noeviction",
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        wait_for(client.ping, timeout=20, what="redis to answer")
        client.close()
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class PostgresServer:
    """A throwaway cluster; the app connects as a non-superuser role, so row-level security
    applies to it exactly as in production."""

    def __init__(self, directory: Path | None = None, port: int | None = None) -> None:
        self.port = port or free_port()
        if directory is not None and os.geteuid() != 0:
            self.dir = directory
            self.dir.mkdir(parents=True, exist_ok=True)
        else:
            # As root the server runs as the postgres user, who may not be able to reach a
            # directory under root's home: its data goes to a fresh directory in /tmp, and the
            # requested path becomes a link to it.
            self.dir = Path(tempfile.mkdtemp(prefix="jp-pg-"))
            if directory is not None:
                directory.parent.mkdir(parents=True, exist_ok=True)
                directory.unlink(missing_ok=True)
                directory.symlink_to(self.dir)
        self.data = self.dir / "data"
        self.proc: subprocess.Popen[bytes] | None = None
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        self.bin = Path(bins[-1]) if bins else Path(os.path.dirname(_find("postgres", [])))
        # Postgres refuses to run as root: run it as the postgres user when we are root.
        self.as_user: dict[str, object] = {}
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.as_user = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}

    def url(self, user: str = "jobplatform", db: str = "jobplatform") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{db}"

    def _run(self, *cmd: str) -> None:
        subprocess.run(list(cmd), check=True, capture_output=True, **self.as_user)  # type: ignore[call-overload]

    def start(self) -> PostgresServer:
        if not self.data.exists():
            self._run(
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "--auth=trust",
                "--username=postgres",
                "--encoding=UTF8",
                "--no-sync",
            )
        self.proc = subprocess.Popen(
            [
                str(self.bin / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={self.dir}",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            **self.as_user,
        )  # type: ignore[call-overload]
        wait_for(lambda: self._ready(), timeout=30, what="postgres to accept connections")
        return self

    def _ready(self) -> bool:
        import psycopg

        with psycopg.connect(self.url("postgres", "postgres"), connect_timeout=2):
            return True

    def create_app_database(self, user: str = "jobplatform", db: str = "jobplatform") -> str:
        import psycopg

        with psycopg.connect(self.url("postgres", "postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE ROLE "{user}" LOGIN NOSUPERUSER NOBYPASSRLS')
            conn.execute(f'CREATE DATABASE "{db}" OWNER "{user}"')
        return self.url(user, db)

    def stop(self) -> None:
        if self.proc is not None:
            # SIGINT is Postgres's fast shutdown: it does not wait for clients to leave.
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(timeout=60)
            self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
