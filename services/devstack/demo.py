"""``make demo``: the whole platform on this machine, no cluster needed.

Starts Redis and Postgres on loopback in a state directory, migrates, starts web, the outbox
relay, the reconciler, workers and beat, creates a demo tenant and API key, submits sample
jobs and prints where to look. The heavy queue runs on an autoscaled pool: the operator's
policy and Redis probe start and stop local worker processes, and each decision is printed
as it happens (a burst of heavy jobs shows a whole cycle). It writes the settings that point the
`jobplatform` CLI at it to a file it names, and restarts a platform process that dies,
saying so. Ctrl-C stops everything it started.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from devstack import system_packages
from devstack.autoscaled_pool import AutoscaledPool
from devstack.local_servers import PostgresServer, RedisServer
from devstack.ports import free_ports
from devstack.processes import (
    PlatformEnv,
    PlatformProcess,
    start_beat,
    start_reconciler,
    start_relay,
    start_web,
    start_worker,
)

SAMPLES: list[tuple[str, dict[str, Any], str]] = [
    ("noop", {}, "does nothing (default queue)"),
    ("diagnostic", {"sleep_seconds": 1}, "sleeps a second (heavy queue)"),
    ("diagnostic", {"fail_times": 2}, "fails twice, then succeeds after backoff"),
    ("diagnostic", {"non_retryable": True}, "fails for good: dead-lettered"),
]
# Jobs that make the heavy pool grow and shrink again: more than one worker can carry.
BURST = (12, {"sleep_seconds": 3})
# How often the supervisor looks for a process that died.
SUPERVISE_SECONDS = 1.0


def _say(text: str = "") -> None:
    print(text, flush=True)


def run(state_dir: Path, once: bool, port: int) -> int:
    system_packages.ensure()
    shutil.rmtree(state_dir, ignore_errors=True)
    logs = state_dir / "logs"
    logs.mkdir(parents=True)
    procs: list[PlatformProcess] = []
    pool: AutoscaledPool | None = None
    redis_server = RedisServer(state_dir / "redis")
    postgres = PostgresServer(state_dir / "postgres")
    try:
        _say("starting Redis and Postgres ...")
        redis_server.start()
        postgres.start()
        database_url = postgres.create_app_database()
        from jobplatform.application.api_keys import create_tenant, issue_api_key
        from jobplatform.infrastructure.bootstrap import bootstrap
        from jobplatform.infrastructure.db.migrate import upgrade
        from jobplatform.infrastructure.settings import Settings

        upgrade(database_url)
        c = bootstrap(Settings(database_url=database_url, redis_url=redis_server.url))
        tenant = create_tenant(c.tenants, "demo")
        key = issue_api_key(c.tenants, tenant)
        c.close()

        names = ("relay", "default", "scheduled")
        metrics = dict(zip(names, free_ports(len(names)), strict=True))
        cli_env = _write_cli_env(state_dir, database_url, redis_server.url)
        env = PlatformEnv(
            database_url=database_url,
            redis_url=redis_server.url,
            log_dir=logs,
            extra={"JOBPLATFORM_PRUNE_SCHEDULE_SECONDS": "60"},
        )
        _say("starting web, relay, reconciler, workers and beat ...")
        web, base = start_web(env, port=port)
        procs.append(web)
        procs.append(start_relay(env, JOBPLATFORM_METRICS_PORT=str(metrics["relay"])))
        procs.append(start_reconciler(env))
        for queue, concurrency in (("default", 2), ("scheduled", 1)):
            procs.append(
                start_worker(
                    env,
                    queue,
                    concurrency=concurrency,
                    name=f"worker-{queue}",
                    JOBPLATFORM_METRICS_PORT=str(metrics[queue]),
                )
            )
        procs.append(start_beat(env, "beat"))
        pool = AutoscaledPool(env, "heavy", _say)
        pool.start()

        headers = {"Authorization": f"Bearer {key.plaintext}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as api:
            submitted = []
            for job_type, payload, what in SAMPLES:
                r = api.post("/v1/jobs", json={"type": job_type, "payload": payload})
                r.raise_for_status()
                submitted.append((r.json()["job_id"], job_type, what))
            _say()
            _say(f"API              {base}   (OpenAPI: {base}/docs)")
            _say(f"tenant           {tenant}")
            _say(f"API key          {key.plaintext}")
            _say(f"web metrics      {base}/metrics")
            for name, p in metrics.items():
                _say(f"{name + ' metrics':<16} http://127.0.0.1:{p}/metrics")
            _say(f"logs             {logs}/")
            _say(f"CLI settings     {cli_env}")
            _say(
                f"                 (run: set -a; . {cli_env}; set +a; jobplatform tenants create x)"
            )
            _say("processes        " + ", ".join(f"{p.name} {p.pid}" for p in procs))
            _say(
                f"heavy queue      autoscaled: {pool.spec.min_replicas} to "
                f"{pool.spec.max_replicas} workers, decisions below as 'autoscaler heavy: ...'"
            )
            _say()
            _say(f'try: curl -H "Authorization: Bearer {key.plaintext}" {base}/v1/jobs')
            _say()
            count, payload = BURST
            burst = [
                api.post("/v1/jobs", json={"type": "diagnostic", "payload": payload}).json()[
                    "job_id"
                ]
                for _ in range(count)
            ]
            _say(f"submitted a burst of {count} heavy jobs ({payload}) for the autoscaler")
            final = _watch(api, submitted)
            letters = api.get("/v1/dead-letters").json()["items"]
            _say(
                f"dead letters: {len(letters)} (replay one: POST {base}/v1/dead-letters/"
                f"{letters[0]['id'] if letters else '<id>'}/replay)"
            )
            if once:
                _wait_for_burst(api, burst, pool)
        expected = {"succeeded", "dead"}
        if once:
            return 0 if set(final.values()) <= expected else 1
        _say("\nthe platform is running; Ctrl-C stops it")
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        try:
            _supervise(procs)
        except KeyboardInterrupt:
            return 0
        return 0
    finally:
        _say("stopping ...")
        if pool is not None:
            pool.stop()
        for proc in reversed(procs):
            proc.stop()
        postgres.close()  # its data lives in /tmp when run as root: do not leave it behind
        redis_server.stop()


def _write_cli_env(state_dir: Path, database_url: str, redis_url: str) -> Path:
    """The settings that point the CLI at this demo (its servers use ports chosen at start)."""
    path = state_dir / "cli.env"
    path.write_text(f"JOBPLATFORM_DATABASE_URL={database_url}\nJOBPLATFORM_REDIS_URL={redis_url}\n")
    return path


def _supervise(procs: list[PlatformProcess]) -> None:
    """Restart any platform process that ends, and say so; runs until interrupted."""
    while True:
        time.sleep(SUPERVISE_SECONDS)
        for proc in procs:
            status = proc.exit_status()
            if status is None:
                continue
            how = f"signal {-status}" if status < 0 else f"status {status}"
            proc.restart()
            _say(f"{proc.name} exited ({how}); restarted as pid {proc.pid}")


def _wait_for_burst(api: httpx.Client, jobs: list[str], pool: AutoscaledPool) -> None:
    """Until the burst's jobs are done and the pool is back at its minimum (or 3 minutes)."""
    deadline = time.monotonic() + 180
    done = 0
    while time.monotonic() < deadline:
        done = sum(api.get(f"/v1/jobs/{j}").json()["status"] == "succeeded" for j in jobs)
        if done == len(jobs) and pool.replicas == pool.spec.min_replicas:
            break
        time.sleep(1)
    _say(f"burst: {done} of {len(jobs)} heavy jobs succeeded; heavy workers now {pool.replicas}")


def _watch(api: httpx.Client, submitted: list[tuple[str, str, str]]) -> dict[str, str]:
    """Print each job's state until all are finished (or a minute passes)."""
    deadline = time.monotonic() + 60
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        states = {
            job_id: api.get(f"/v1/jobs/{job_id}").json()["status"] for job_id, _, _ in submitted
        }
        if all(s in ("succeeded", "dead", "failed") for s in states.values()):
            break
        time.sleep(0.5)
    for job_id, job_type, what in submitted:
        _say(f"  {states.get(job_id, '?'):<10} {job_type:<36} {what}  [{job_id}]")
    return states


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--state-dir", type=Path, default=Path(".state/demo"))
    parser.add_argument("--port", type=int, default=8000, help="the API's port")
    parser.add_argument(
        "--once", action="store_true", help="exit after the sample jobs finish (used by the tests)"
    )
    args = parser.parse_args(argv)
    return run(args.state_dir.resolve(), args.once, args.port)


if __name__ == "__main__":
    sys.exit(main())
