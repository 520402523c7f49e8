"""``make bench``: the platform against bare Celery on the same machine, in the same run.

1. Worker throughput: N no-op jobs through the platform path (outbox -> relay -> Celery ->
   worker -> Postgres state) against N bare Celery no-op tasks, each published from one process
   while one worker (prefork, concurrency 2) drains the queue.
2. API: jobs accepted per second and latency percentiles at a fixed concurrency, against raw
   ``apply_async`` calls from one process.

Reports ratios (platform / bare). Writes a Markdown report with --report.
"""

from __future__ import annotations

import argparse
import os
import platform as py_platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
import redis

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from devstack.local_servers import PostgresServer, RedisServer  # noqa: E402
from devstack.processes import PlatformEnv, start_web, start_worker  # noqa: E402
from devstack.wait import wait_for  # noqa: E402


def drained(client: redis.Redis, queue: str) -> bool:
    return client.llen(queue) == 0 and client.hlen("unacked") == 0


def bench_bare_throughput(redis_url: str, n: int, log_dir: Path) -> float:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    env = {**os.environ, "BENCH_REDIS_URL": redis_url, "PYTHONPATH": str(HERE)}
    log = open(log_dir / "bare-worker.log", "wb")  # noqa: SIM115
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "bare_celery",
            "worker",
            "-Q",
            "bench",
            "-c",
            "2",
            "--pool",
            "prefork",
            "-l",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=HERE,
    )
    try:
        time.sleep(3)  # let the pool start
        import bare_celery

        bare_celery.app.conf.broker_url = redis_url
        started = time.perf_counter()
        with bare_celery.app.producer_or_acquire() as producer:
            for _ in range(n):
                bare_celery.noop.apply_async(queue="bench", producer=producer)
        wait_for(
            lambda: drained(client, "bench"), timeout=600, interval=0.02, what="bare queue drained"
        )
        return n / (time.perf_counter() - started)
    finally:
        worker.terminate()
        worker.wait(30)
        log.close()


def submit_direct(database_url: str, redis_url: str, n: int, tenant_name: str) -> None:
    """Accept N no-op jobs through the submit use case (job + outbox rows), relay not running."""
    from jobplatform.application import tenant_context
    from jobplatform.application.api_keys import create_tenant
    from jobplatform.application.submit_job import SubmitJob, submit_job
    from jobplatform.domain.tenant import TenantContext
    from jobplatform.infrastructure.container import Container
    from jobplatform.infrastructure.settings import Settings

    c = Container(Settings(database_url=database_url, redis_url=redis_url))
    tenant = create_tenant(c.tenants, tenant_name)
    with tenant_context.bound(TenantContext(tenant_id=tenant, request_id="bench")) as ctx:
        for _ in range(n):
            submit_job(SubmitJob("noop", {}), ctx, c.uow_factory, c.clock, c.idempotency_ttl)
    c.close()


def count_succeeded(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        conn.execute("SELECT set_config('jobplatform.scope', 'system', false)")
        row = conn.execute("SELECT count(*) FROM jobs WHERE status = 'succeeded'").fetchone()
        return int(row[0]) if row else 0


def bench_platform_throughput(env: PlatformEnv, n: int) -> float:
    from jobplatform.application.relay_outbox import relay_once
    from jobplatform.infrastructure.bootstrap import bootstrap
    from jobplatform.infrastructure.celery.publisher import CeleryPublisher
    from jobplatform.infrastructure.settings import Settings

    redis.Redis.from_url(env.redis_url).flushdb()
    submit_direct(env.database_url, env.redis_url, n, f"bench-{time.time_ns()}")
    worker = start_worker(
        env, "default", concurrency=2, name="bench-worker", JOBPLATFORM_LOG_LEVEL="WARNING"
    )
    c = bootstrap(Settings(database_url=env.database_url, redis_url=env.redis_url))
    publisher = CeleryPublisher(c.celery)
    before = count_succeeded(env.database_url)
    try:
        started = time.perf_counter()
        # The relay's use case, in this process: the same publish path as `jobplatform relay`.
        while relay_once(c.uow_factory, publisher, c.clock, batch_size=500).published:
            pass
        wait_for(
            lambda: count_succeeded(env.database_url) - before >= n,
            timeout=900,
            interval=0.05,
            what="platform jobs succeeded",
        )
        return n / (time.perf_counter() - started)
    finally:
        worker.stop()
        c.close()


def bench_state_path(env: PlatformEnv, n: int) -> float:
    """Milliseconds per job of the platform's own bookkeeping, in-process without Celery:
    the two transactions that mark a no-op job running and record its outcome."""
    from jobplatform.application import tenant_context
    from jobplatform.application.api_keys import create_tenant
    from jobplatform.application.submit_job import SubmitJob, submit_job
    from jobplatform.domain.tenant import TenantContext
    from jobplatform.infrastructure.container import Container
    from jobplatform.infrastructure.settings import Settings

    c = Container(
        Settings(database_url=env.database_url, redis_url=env.redis_url, db_pre_ping=False)
    )
    tenant = create_tenant(c.tenants, f"state-bench-{time.time_ns()}")
    with tenant_context.bound(TenantContext(tenant_id=tenant)) as ctx:
        ids = [
            submit_job(SubmitJob("noop", {}), ctx, c.uow_factory, c.clock, c.idempotency_ttl).job.id
            for _ in range(n)
        ]
        started = time.perf_counter()
        for job_id in ids:
            c.runner.run(job_id, ctx, owner="bench@local")
        elapsed = time.perf_counter() - started
    c.close()
    return elapsed / n * 1000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_api(env: PlatformEnv, n: int, concurrency: int) -> dict[str, float]:
    from jobplatform.application.api_keys import create_tenant, issue_api_key
    from jobplatform.infrastructure.container import Container
    from jobplatform.infrastructure.settings import Settings

    c = Container(Settings(database_url=env.database_url, redis_url=env.redis_url))
    key = issue_api_key(c.tenants, create_tenant(c.tenants, f"api-bench-{time.time_ns()}"))
    c.close()
    web, base = start_web(env, JOBPLATFORM_LOG_LEVEL="WARNING")
    latencies: list[float] = []
    lock = threading.Lock()
    local = threading.local()

    def one(_: int) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {key.plaintext}"}, timeout=30
            )
        t0 = time.perf_counter()
        r = client.post("/v1/jobs", json={"type": "noop", "payload": {}})
        elapsed = time.perf_counter() - t0
        if r.status_code != 202:
            raise RuntimeError(f"{r.status_code}: {r.text}")
        with lock:
            latencies.append(elapsed)

    try:
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one, range(min(100, n))))  # warm-up
            latencies.clear()
            started = time.perf_counter()
            list(pool.map(one, range(n)))
            total = time.perf_counter() - started
    finally:
        web.stop()
    return {
        "rate": n / total,
        "p50": percentile(latencies, 0.50) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
    }


def bench_apply_async(redis_url: str, n: int) -> dict[str, float]:
    import bare_celery

    bare_celery.app.conf.broker_url = redis_url
    latencies = []
    with bare_celery.app.producer_or_acquire() as producer:
        for _ in range(min(100, n)):
            bare_celery.noop.apply_async(queue="bench-api", producer=producer)
        started = time.perf_counter()
        for _ in range(n):
            t0 = time.perf_counter()
            bare_celery.noop.apply_async(queue="bench-api", producer=producer)
            latencies.append(time.perf_counter() - t0)
        total = time.perf_counter() - started
    redis.Redis.from_url(redis_url).delete("bench-api")
    return {
        "rate": n / total,
        "p50": percentile(latencies, 0.50) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
    }


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {py_platform.python_version()}, "
        f"{py_platform.system()} {py_platform.release()}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=3000, help="jobs per throughput run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per side")
    parser.add_argument("--api-requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--report", type=Path, default=None)
    args = parser.parse_args()

    log_dir = Path(tempfile.mkdtemp(prefix="jp-bench-"))
    redis_server, postgres = RedisServer().start(), PostgresServer().start()
    try:
        database_url = postgres.create_app_database()
        from jobplatform.infrastructure.db.migrate import upgrade

        upgrade(database_url)
        env = PlatformEnv(database_url=database_url, redis_url=redis_server.url, log_dir=log_dir)
        bare, plat = [], []
        for round_ in range(1, args.rounds + 1):  # alternate, so drift hits both sides
            bare.append(bench_bare_throughput(redis_server.url, args.jobs, log_dir))
            plat.append(bench_platform_throughput(env, args.jobs))
            print(f"round {round_}: bare {bare[-1]:.0f}/s, platform {plat[-1]:.0f}/s", flush=True)
        state_ms = bench_state_path(env, 1000)
        api = bench_api(env, args.api_requests, args.concurrency)
        raw = bench_apply_async(redis_server.url, args.api_requests)
    finally:
        postgres.close()
        redis_server.close()

    b, p = statistics.median(bare), statistics.median(plat)
    lines = [
        "# Benchmarks",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}, with "
        f"`python tests/bench/run.py --jobs {args.jobs} --rounds {args.rounds} "
        f"--api-requests {args.api_requests} --concurrency {args.concurrency}` "
        "(`make bench`). Redis and Postgres run on loopback; both sides run in the same script, "
        "alternating, and the median of the rounds is reported. These are shared machines: "
        "compare ratios, not absolute figures.",
        "",
        "## Worker throughput: no-op jobs, one worker (prefork, concurrency 2)",
        "",
        "| path | jobs/s (median) | rounds |",
        "|---|---|---|",
        f"| bare Celery no-op task (acks_late, prefetch 1) | {b:.0f} | "
        f"{', '.join(f'{x:.0f}' for x in bare)} |",
        f"| platform: outbox -> relay -> worker -> Postgres state | {p:.0f} | "
        f"{', '.join(f'{x:.0f}' for x in plat)} |",
        "",
        f"**Ratio platform / bare: {p / b:.2f}** (goal: at least 0.8).",
        "",
        "Where the difference goes: per job the platform does what bare Celery does not. The "
        "relay reads the outbox and marks rows published; the worker runs two Postgres "
        "transactions (mark the job running with its attempt; record the outcome and the "
        "attempt), increments a Redis counter for the autoscaler and updates Prometheus "
        f"counters. The two transactions alone take {state_ms:.2f} ms per job from Python "
        "(measured in this run without Celery), and Postgres and Redis share the same two "
        "cores as the workers here. The goal is not met on this machine; the levers left are "
        "fewer round trips per transaction (psycopg pipeline mode), skipping the `running` write "
        "for short jobs, and a database on its own cores, as in any real deployment.",
        "",
        f"## API: {args.api_requests} submissions, {args.concurrency} concurrent clients",
        "",
        "| path | accepted/s | p50 ms | p99 ms |",
        "|---|---|---|---|",
        f"| `POST /v1/jobs` (auth, validation, job + outbox in one transaction) | "
        f"{api['rate']:.0f} | {api['p50']:.1f} | {api['p99']:.1f} |",
        f"| raw `apply_async` from one process | {raw['rate']:.0f} | {raw['p50']:.2f} | "
        f"{raw['p99']:.2f} |",
        "",
        f"**Ratio API / apply_async: {api['rate'] / raw['rate']:.2f}.** The API commits every "
        "job to Postgres before answering (the outbox), which `apply_async` does not; that "
        "durability is what lets it accept jobs while Redis is down.",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    if args.report:
        args.report.write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
