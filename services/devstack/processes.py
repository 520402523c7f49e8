"""The platform's real processes (web, relay, workers, beat), started as the CLI starts them,
each writing its JSON log lines to a file the tests can read."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis

from devstack.ports import free_port
from devstack.wait import wait_for
from jobplatform.infrastructure.redis.worker_keys import worker_key


@dataclass
class PlatformEnv:
    database_url: str
    redis_url: str
    log_dir: Path
    extra: dict[str, str] = field(default_factory=dict)
    # Shared by the relay and the workers of this stack (docs/reliability.md, "Run tickets").
    run_ticket_key: str = field(default_factory=lambda: secrets.token_hex(32))

    def environ(self, **overrides: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JOBPLATFORM_")}
        env.update(
            {
                "JOBPLATFORM_DATABASE_URL": self.database_url,
                "JOBPLATFORM_REDIS_URL": self.redis_url,
                "JOBPLATFORM_RUN_TICKET_KEY": self.run_ticket_key,
                "JOBPLATFORM_LOG_LEVEL": "INFO",
                "JOBPLATFORM_HEARTBEAT_INTERVAL_SECONDS": "1",
                "JOBPLATFORM_RELAY_POLL_SECONDS": "0.5",
                "JOBPLATFORM_SENSITIVE_FIELDS": "customer_secret",
                # The local stack's webhook receivers listen on loopback, which production
                # refuses (docs/configuration.md, "Where webhooks may go").
                "JOBPLATFORM_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra)
        env.update(overrides)
        return env


class PlatformProcess:
    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._args = args
        self._env = env
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        # Temporary files (a worker's metrics directory among them) go to the run's own
        # directory: a process killed with SIGKILL leaves nothing behind in the system's /tmp.
        if "TMPDIR" not in env:
            tmp = log_dir / "tmp"
            tmp.mkdir(exist_ok=True)
            self._env = {**env, "TMPDIR": str(tmp)}
        self.proc = self._spawn()

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "jobplatform.interface.cli.main", *self._args],
            env=self._env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def exit_status(self) -> int | None:
        """None while it runs; its exit status (negative: the signal) once it has ended."""
        return self.proc.poll()

    def restart(self) -> None:
        """Start the same command again, appending to the same log (after it has ended)."""
        self.proc = self._spawn()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()

    def kill(self) -> None:
        """SIGKILL the whole process group: the worker and its pool children die at once."""
        self.stop(signal.SIGKILL)


def start_web(
    env: PlatformEnv, port: int | None = None, **overrides: str
) -> tuple[PlatformProcess, str]:
    port = port or free_port()
    proc = PlatformProcess(
        f"web-{port}", ["web", "--port", str(port)], env.environ(**overrides), env.log_dir
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: not proc.alive() or httpx.get(f"{base}/healthz", timeout=1).status_code == 200,
            timeout=60,
            what="web to answer",
        )
    except TimeoutError:
        # A web that comes up after the caller gave up would be left behind, serving nobody.
        proc.stop()
        raise
    if not proc.alive():
        raise RuntimeError(f"web exited: {proc.log_path.read_text()[-3000:]}")
    return proc, base


def start_relay(env: PlatformEnv, **overrides: str) -> PlatformProcess:
    return PlatformProcess(f"relay-{free_port()}", ["relay"], env.environ(**overrides), env.log_dir)


def start_reconciler(env: PlatformEnv, **overrides: str) -> PlatformProcess:
    return PlatformProcess(
        f"reconciler-{free_port()}", ["reconciler"], env.environ(**overrides), env.log_dir
    )


def spawn_worker(
    env: PlatformEnv,
    queues: str,
    concurrency: int,
    name: str,
    *,
    pool: str = "prefork",
    **overrides: str,
) -> PlatformProcess:
    """A worker process, not waited for (its Celery hostname is `<name>@local`)."""
    args = ["worker", "--queues", queues, "--concurrency", str(concurrency), "--pool", pool]
    return PlatformProcess(
        name, [*args, "--hostname", f"{name}@local"], env.environ(**overrides), env.log_dir
    )


def start_worker(
    env: PlatformEnv,
    queues: str,
    concurrency: int = 1,
    name: str | None = None,
    *,
    pool: str = "prefork",
    **overrides: str,
) -> PlatformProcess:
    name = name or f"worker-{queues.replace(',', '-')}-{free_port()}"
    environ = env.environ(**overrides)
    proc = spawn_worker(env, queues, concurrency, name, pool=pool, **overrides)
    # Ready means consuming: the heartbeat starts on Celery's worker_ready signal.
    client = redis.Redis.from_url(environ["JOBPLATFORM_REDIS_URL"])
    try:
        wait_for(
            lambda: not proc.alive() or client.exists(worker_key(f"{name}@local")),
            timeout=60,
            what=f"{name} to be ready",
        )
    except TimeoutError:
        proc.stop()
        raise
    finally:
        client.close()
    if not proc.alive():
        raise RuntimeError(f"{name} exited: {proc.log_path.read_text()[-3000:]}")
    return proc


def start_beat(env: PlatformEnv, name: str, **overrides: str) -> PlatformProcess:
    return PlatformProcess(
        name,
        ["beat", "--schedule-file", str(env.log_dir / f"{name}.db")],
        env.environ(**overrides),
        env.log_dir,
    )
