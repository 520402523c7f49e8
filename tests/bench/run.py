"""``make bench``: the platform against bare Celery on the same machine, in the same run.

1. Worker throughput: N no-op jobs through the platform path (outbox -> relay -> Celery ->
   worker -> Postgres state) against N bare Celery no-op tasks, each published from one process
   while one worker (prefork, concurrency 2, acks_late, prefetch 1) drains the queue. Both sides
   learn that the queue is drained the same way (completions.py); the platform's Postgres state
   is checked once after each drain (every job succeeded, on its first attempt).
2. API: jobs accepted per second and latency percentiles at a fixed concurrency from one
   process, against raw ``apply_async`` calls from one process; and batch submits.

Rounds alternate between the sides, so drift on a shared machine hits both; the report gives
the median, the spread and every round. Writes a Markdown report (and PNG plots next to it)
with --report.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import redis

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from api_load import apply_async_load, http_load  # noqa: E402
from completions import PlatformState, wait_drained, wait_recorded  # noqa: E402
from report import (  # noqa: E402
    Series,
    latency_plot,
    load_average,
    machine,
    throughput_plot,
    verdict,
    write_keeping_sections,
)

from devstack.local_servers import PostgresServer, RedisServer  # noqa: E402
from devstack.processes import PlatformEnv, start_web, start_worker  # noqa: E402


class BareWorker:
    """The baseline's worker, started once and kept for every round (as the platform's)."""

    def __init__(self, redis_url: str, log_dir: Path):
        env = {**os.environ, "BENCH_REDIS_URL": redis_url, "PYTHONPATH": str(HERE)}
        self._log = open(log_dir / "bare-worker.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "bare_celery", "worker", "-Q", "bench",
             "-c", "2", "--pool", "prefork", "-l", "WARNING", "--without-gossip",
             "--without-mingle"],
            env=env, stdout=self._log, stderr=subprocess.STDOUT, cwd=HERE,
        )  # fmt: skip
        import bare_celery

        bare_celery.app.conf.broker_url = redis_url
        # Ready means consuming: one task through it and the queue drained.
        bare_celery.noop.apply_async(queue="bench")
        wait_drained(redis.Redis.from_url(redis_url), "bench", timeout=60)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self._log.close()


def bench_bare_throughput(client: redis.Redis, n: int) -> float:
    import bare_celery

    started = time.perf_counter()
    with bare_celery.app.producer_or_acquire() as producer:
        for _ in range(n):
            bare_celery.noop.apply_async(queue="bench", producer=producer)
    return n / (wait_drained(client, "bench") - started)


def submit_direct(database_url: str, redis_url: str, n: int) -> str:
    """Accept N no-op jobs for a new tenant through the submit use case (job + outbox rows),
    relay not running; returns the tenant's id."""
    from jobplatform.application import tenant_context
    from jobplatform.application.api_keys import create_tenant
    from jobplatform.application.submit_job import SubmitJob, submit_job
    from jobplatform.domain.tenant import TenantContext
    from jobplatform.infrastructure.container import Container
    from jobplatform.infrastructure.settings import Settings

    c = Container(Settings(database_url=database_url, redis_url=redis_url))
    tenant = create_tenant(c.tenants, f"bench-{uuid.uuid4()}")
    with tenant_context.bound(TenantContext(tenant_id=tenant, request_id="bench")) as ctx:
        for _ in range(n):
            submit_job(SubmitJob("noop", {}), ctx, c.uow_factory, c.clock, c.idempotency_ttl)
    c.close()
    return str(tenant)


def bench_platform_throughput(
    env: PlatformEnv, client: redis.Redis, n: int, tickets: bool = True
) -> tuple[float, PlatformState]:
    """``tickets``: the relay signs each first message as `jobplatform relay` does with
    JOBPLATFORM_RUN_TICKET_KEY set (the worker has the key); without, every run reads its job
    first, as with the key unset."""
    from jobplatform.application.relay_outbox import relay_once
    from jobplatform.infrastructure.bootstrap import bootstrap
    from jobplatform.infrastructure.celery.publisher import CeleryPublisher
    from jobplatform.infrastructure.settings import Settings

    tenant = submit_direct(env.database_url, env.redis_url, n)
    c = bootstrap(
        Settings(
            database_url=env.database_url,
            redis_url=env.redis_url,
            run_ticket_key=env.run_ticket_key,
        )
    )
    # The relay's publisher as `jobplatform relay` builds it.
    publisher = CeleryPublisher(c.celery, tickets=c.run_tickets if tickets else None)
    try:
        started = time.perf_counter()
        # The relay's use case, in this process, with its default batch size: the same publish
        # path and batches as `jobplatform relay`.
        while relay_once(c.uow_factory, publisher, c.clock).published:
            pass
        wait_drained(client, "default")
        recorded, state = wait_recorded(env.database_url, tenant, n)
        rate = n / (recorded - started)
    finally:
        c.close()
    state.check(n)
    return rate, state


def bench_state_path(env: PlatformEnv, n: int) -> tuple[float, float]:
    """Milliseconds per job of the platform's own database work, in-process without Celery or
    HTTP, one call after the other: the submit use case (job + outbox, committed); then the
    transactions that mark a no-op job running and record its outcome."""
    from jobplatform.application import tenant_context
    from jobplatform.application.api_keys import create_tenant
    from jobplatform.application.submit_job import SubmitJob, submit_job
    from jobplatform.domain.tenant import TenantContext
    from jobplatform.infrastructure.container import Container
    from jobplatform.infrastructure.settings import Settings

    c = Container(
        Settings(database_url=env.database_url, redis_url=env.redis_url, db_pre_ping=False)
    )
    tenant = create_tenant(c.tenants, f"state-bench-{uuid.uuid4()}")
    with tenant_context.bound(TenantContext(tenant_id=tenant)) as ctx:
        started = time.perf_counter()
        ids = [
            submit_job(SubmitJob("noop", {}), ctx, c.uow_factory, c.clock, c.idempotency_ttl).job.id
            for _ in range(n)
        ]
        submitted = time.perf_counter()
        for job_id in ids:
            c.runner.run(job_id, ctx, owner="bench@local")
        ran = time.perf_counter()
    c.close()
    return (submitted - started) / n * 1000, (ran - submitted) / n * 1000


def api_key(env: PlatformEnv) -> str:
    from jobplatform.application.api_keys import create_tenant, issue_api_key
    from jobplatform.infrastructure.container import Container
    from jobplatform.infrastructure.settings import Settings

    c = Container(Settings(database_url=env.database_url, redis_url=env.redis_url))
    key = issue_api_key(c.tenants, create_tenant(c.tenants, f"api-bench-{uuid.uuid4()}"))
    c.close()
    return key.plaintext


def api_rounds(
    base: str,
    key: str,
    redis_url: str,
    args: argparse.Namespace,
    single: Series,
    raw: Series,
    batch: Series | None,
    web_pid: int | None = None,
    web_cpu_ms: list[float] | None = None,
) -> None:
    """Alternating rounds: single submits, raw apply_async, then (unless None) batch submits.
    With ``web_pid``, the web's CPU per single submit of each round goes to ``web_cpu_ms``
    (the warm-up's few requests included): steadier than throughput on a shared machine."""
    batch_body = {"jobs": [{"type": "noop", "payload": {}}] * args.batch_size}
    for round_ in range(1, args.rounds + 1):
        cpu_before = process_cpu_seconds(web_pid) if web_pid else 0.0
        single.add(
            http_load(
                base, key, "/v1/jobs", lambda i: {"type": "noop", "payload": {}}, 1,
                args.api_requests, args.concurrency,
            )
        )  # fmt: skip
        cpu_line = ""
        if web_pid and web_cpu_ms is not None:
            cpu = process_cpu_seconds(web_pid) - cpu_before
            web_cpu_ms.append(cpu * 1000 / args.api_requests)
            cpu_line = f" (web CPU {web_cpu_ms[-1]:.2f} ms/submit)"
        raw.add(apply_async_load(redis_url, args.api_requests))
        line = (
            f"api round {round_}: POST /v1/jobs {single.rates[-1]:.0f}/s{cpu_line}, "
            f"apply_async {raw.rates[-1]:.0f}/s"
        )
        if batch is not None:
            batch.add(
                http_load(
                    base, key, "/v1/jobs:batch", lambda i: batch_body, args.batch_size,
                    args.batch_requests, args.concurrency,
                )
            )  # fmt: skip
            line += f", batch {batch.rates[-1]:.0f} jobs/s"
        print(f"{line} (load {load_average()})", flush=True)


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def api_summary(
    command: str, args: argparse.Namespace, single: Series, raw: Series, web_cpu_ms: list[float]
) -> str:
    """The single-submit figures of an --api-only run."""
    ratio = single.median / raw.median
    return "\n".join(
        [
            f"From `{command}` ({args.api_requests} submissions per round, {args.concurrency} "
            "concurrent clients from one process):",
            f"- POST /v1/jobs: {single.median:.0f} jobs/s median ({single.rounds}), p50 "
            f"{single.percentile(0.5):.1f} ms, p99 {single.percentile(0.99):.1f} ms",
            f"- raw apply_async: {raw.median:.0f} jobs/s median ({raw.rounds}), p50 "
            f"{raw.percentile(0.5):.2f} ms, p99 {raw.percentile(0.99):.2f} ms",
            f"- ratio API / apply_async: {ratio:.2f} ({verdict(ratio, 0.5)}); per round: "
            + ", ".join(f"{a / b:.2f}" for a, b in zip(single.rates, raw.rates, strict=True)),
            f"- web CPU per submit: {statistics.median(web_cpu_ms):.2f} ms median; per round: "
            + ", ".join(f"{ms:.2f}" for ms in web_cpu_ms),
            f"- load average at end: {load_average()}",
        ]
    )


def command_line() -> str:
    return shlex.join(["python", "tests/bench/run.py", *sys.argv[1:]])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=3000, help="jobs per throughput round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per side")
    parser.add_argument("--api-requests", type=int, default=2000, help="submissions per round")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent API clients")
    parser.add_argument("--batch-size", type=int, default=100, help="jobs per batch request")
    parser.add_argument("--batch-requests", type=int, default=200, help="batch requests per round")
    parser.add_argument("--report", type=Path, default=None)
    parser.add_argument(
        "--api-only",
        action="store_true",
        help="only the API part (no worker throughput, no batch submits); prints its figures, "
        "the web's CPU per submit among them, and writes no report",
    )
    args = parser.parse_args()
    if args.api_only and args.report:
        parser.error("--api-only writes no report: the report needs every part")

    started_at, load_at_start = datetime.now(UTC), load_average()
    log_dir = Path(tempfile.mkdtemp(prefix="jp-bench-"))
    redis_server, postgres = RedisServer().start(), PostgresServer().start()
    bare, plat = Series("bare Celery no-op task"), Series("platform no-op job")
    plain = Series("platform, no run tickets")
    single, raw = Series("POST /v1/jobs"), Series("raw apply_async")
    batch = Series(f"POST /v1/jobs:batch ({args.batch_size} jobs)")
    states: list[PlatformState] = []
    try:
        database_url = postgres.create_app_database()
        from jobplatform.infrastructure.db.migrate import upgrade

        upgrade(database_url)
        env = PlatformEnv(database_url=database_url, redis_url=redis_server.url, log_dir=log_dir)
        if args.api_only:
            web, base = start_web(env, JOBPLATFORM_LOG_LEVEL="WARNING")
            web_cpu_ms: list[float] = []
            try:
                api_rounds(
                    base, api_key(env), redis_server.url, args, single, raw, None,
                    web_pid=web.pid, web_cpu_ms=web_cpu_ms,
                )  # fmt: skip
            finally:
                web.stop()
            print(api_summary(command_line(), args, single, raw, web_cpu_ms))
            return 0
        client = redis.Redis.from_url(redis_server.url)
        bare_worker = BareWorker(redis_server.url, log_dir)
        worker = start_worker(
            env, "default", concurrency=2, name="bench-worker", JOBPLATFORM_LOG_LEVEL="WARNING"
        )
        try:
            for round_ in range(1, args.rounds + 1):  # alternate, so drift hits both sides
                bare.rates.append(bench_bare_throughput(client, args.jobs))
                rate, state = bench_platform_throughput(env, client, args.jobs)
                plat.rates.append(rate)
                states.append(state)
                rate, state = bench_platform_throughput(env, client, args.jobs, tickets=False)
                plain.rates.append(rate)
                states.append(state)
                print(
                    f"round {round_}: bare {bare.rates[-1]:.0f}/s, platform {plat.rates[-1]:.0f}/s"
                    f", without run tickets {rate:.0f}/s (load {load_average()})",
                    flush=True,
                )
        finally:
            worker.stop()
            bare_worker.stop()
        submit_ms, state_ms = bench_state_path(env, 500)

        web, base = start_web(env, JOBPLATFORM_LOG_LEVEL="WARNING")
        try:
            api_rounds(base, api_key(env), redis_server.url, args, single, raw, batch)
        finally:
            web.stop()
    finally:
        postgres.close()
        redis_server.close()
    load_at_end = load_average()

    worker_ratio = plat.median / bare.median
    api_ratio = single.median / raw.median
    batch_ratio = batch.median / single.median
    all_ok = all(s.jobs == s.succeeded == s.first_attempt == args.jobs for s in states)
    command = command_line()
    plots = {}
    if args.report:
        out = args.report.parent / "benchmarks"
        out.mkdir(exist_ok=True)
        plots = {
            "throughput": out / "throughput.png",
            "api": out / "api-throughput.png",
            "latency": out / "api-latency.png",
        }
        throughput_plot(plots["throughput"], [bare, plat, plain], "Worker throughput", "jobs/s")
        throughput_plot(plots["api"], [raw, single, batch], "Jobs accepted per second", "jobs/s")
        latency_plot(plots["latency"], [raw, single, batch])

    def rel(p: Path) -> str:
        return str(p.relative_to(args.report.parent))

    lines = [
        "# Benchmarks",
        "",
        f"Generated by `{command}` (`make bench` runs it with its defaults), started "
        f"{started_at:%Y-%m-%d %H:%M} UTC on {machine()}. Load average (1 / 5 / 15 min) at "
        f"start: {load_at_start}; at end: {load_at_end}. The machine is shared: compare "
        "ratios within one run, not absolute figures across runs.",
        "",
        "Method: Redis and Postgres run on loopback. Each side's rounds alternate with the "
        "other's; the tables give the median, the spread (lowest-highest) and every round. "
        "Both throughput sides publish from this process to one worker (prefork, concurrency 2, "
        "`acks_late`, prefetch 1) started before the first round, and both learn that the "
        "queue is drained by the same Redis read every 20 ms on one connection (queue length "
        "and kombu's `unacked` hash: with `acks_late` a message leaves it only after its task "
        "returned). The platform's worker writes succeeded outcomes up to 0.2 s behind "
        "its runs (`JOBPLATFORM_OUTCOME_WRITE_DELAY_SECONDS`), so after each drain its "
        "Postgres state is read every 20 ms until every job is recorded succeeded, and its "
        "time ends then.",
        "",
        f"## Worker throughput: {args.jobs} no-op jobs per round, {args.rounds} rounds",
        "",
        "| path | jobs/s median | spread | rounds |",
        "|---|---|---|---|",
        f"| bare Celery no-op task | {bare.median:.0f} | {bare.spread} | {bare.rounds} |",
        f"| platform: outbox -> relay -> worker -> Postgres state | {plat.median:.0f} | "
        f"{plat.spread} | {plat.rounds} |",
        f"| the same without run tickets (every run reads its job first) | {plain.median:.0f} "
        f"| {plain.spread} | {plain.rounds} |",
        "",
        f"**Ratio platform / bare: {worker_ratio:.2f}** ({verdict(worker_ratio, 0.8)}); "
        f"without run tickets: {plain.median / bare.median:.2f}. The platform runs as "
        "deployed by the chart, with `JOBPLATFORM_RUN_TICKET_KEY` set: a job's first message "
        "carries the job, signed, and its run reads nothing from Postgres before it starts "
        '(docs/reliability.md, "Run tickets").',
        "",
        "Postgres after each drain (jobs / succeeded / attempts = 1): "
        + "; ".join(f"{s.jobs} / {s.succeeded} / {s.first_attempt}" for s in states)
        + (" - every job succeeded on its first attempt." if all_ok else " - NOT all succeeded."),
        "",
        f"The platform's bookkeeping per job (start the attempt, record the outcome), in-process "
        f"without Celery over 500 jobs: {state_ms:.2f} ms; the submit use case alone (job + "
        f"outbox committed, no HTTP): {submit_ms:.2f} ms per job.",
        "",
    ]
    if plots:
        lines += [f"![worker throughput per round]({rel(plots['throughput'])})", ""]
    lines += [
        f"## API: {args.api_requests} submissions per round, {args.concurrency} concurrent "
        "clients from one process",
        "",
        "| path | jobs/s median | spread | rounds | p50 ms | p99 ms |",
        "|---|---|---|---|---|---|",
        f"| `POST /v1/jobs` (auth, validation, job + outbox committed before the 202) | "
        f"{single.median:.0f} | {single.spread} | {single.rounds} | {single.percentile(0.5):.1f} "
        f"| {single.percentile(0.99):.1f} |",
        f"| raw `apply_async` in a loop from one process | {raw.median:.0f} | {raw.spread} | "
        f"{raw.rounds} | {raw.percentile(0.5):.2f} | {raw.percentile(0.99):.2f} |",
        f"| `POST /v1/jobs:batch`, {args.batch_size} jobs per request, {args.batch_requests} "
        f"requests per round (all or none, job + outbox committed before the 202) | "
        f"{batch.median:.0f} | {batch.spread} | {batch.rounds} | {batch.percentile(0.5):.1f} | "
        f"{batch.percentile(0.99):.1f} |",
        "",
        f"**Ratio API / apply_async: {api_ratio:.2f}** ({verdict(api_ratio, 0.5)}). "
        f"**Ratio batch / single submit, in jobs/s: {batch_ratio:.1f}** "
        f"({verdict(batch_ratio, 10)}). Latency percentiles are per request (a batch request "
        "carries all its jobs), over every request of every round. The clients are one asyncio "
        "event loop in the bench's process, one keep-alive HTTP/1.1 connection each, every "
        "answer read and checked (a 202 with a JSON body); the API is one `jobplatform web` "
        "process (what a replica runs) at log level WARNING.",
        "",
    ]
    if plots:
        lines += [
            f"![jobs accepted per second]({rel(plots['api'])})",
            "",
            f"![latency distribution]({rel(plots['latency'])})",
            "",
        ]
    lines += [
        "## Ratios in this run",
        "",
        f"From `{command}`:",
        "",
        f"- worker path, platform / bare Celery: {worker_ratio:.2f} ({verdict(worker_ratio, 0.8)})",
        f"- API, `POST /v1/jobs` / raw `apply_async`: {api_ratio:.2f} ({verdict(api_ratio, 0.5)})",
        f"- batch submit / single submit, jobs/s: {batch_ratio:.1f} ({verdict(batch_ratio, 10)})",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    if args.report:
        write_keeping_sections(args.report, report)
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
