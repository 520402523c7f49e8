"""Cost as history grows: the platform on a database holding a million finished jobs of 100
tenants against the same platform on an empty one, in the same run.

One Postgres server holds two databases, migrated alike: "empty", and "seeded" with
--history finished jobs of --tenants tenants, each with the published outbox message and the
attempt record the platform's own path leaves (one INSERT ... SELECT per chunk), then ANALYZE.
Each database has its own web and worker (prefork, concurrency 2) and its own Redis database.
Rounds alternate between the two, and each round measures, on its database:

- submit throughput: ``POST /v1/jobs`` at a fixed concurrency from one process (api_load.py);
- worker throughput: no-op jobs through outbox -> relay -> worker -> Postgres state, timed as
  run.py times them (completions.py): drained, then every job recorded succeeded;
- ``GET /v1/jobs`` latency for one tenant (one of the seeded ones on the seeded side): the
  first page, and the oldest page of the tenant's history reached by its keyset cursor.

With --report, writes (or replaces) its own section of that Markdown file and leaves the rest
of the file as it is.
"""

from __future__ import annotations

import argparse
import base64
import shlex
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import redis

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from api_load import http_load, percentile  # noqa: E402
from report import load_average, machine, replace_section  # noqa: E402
from run import bench_platform_throughput  # noqa: E402

from devstack.local_servers import PostgresServer, RedisServer  # noqa: E402
from devstack.ports import free_port  # noqa: E402
from devstack.processes import PlatformEnv, PlatformProcess, start_worker  # noqa: E402
from devstack.wait import wait_for  # noqa: E402
from support.history_seed import add_tenants, seed_finished_jobs  # noqa: E402

GOAL = 1.2  # the seeded database may cost at most this many times the empty one
PAGE = 50
MAKE_ARGS = ["--report", "docs/benchmarks.md"]  # the Makefile's bench line


@dataclass
class Side:
    """One database with its own web, worker and Redis database, and what was measured."""

    name: str
    env: PlatformEnv
    tenant: uuid.UUID = field(default_factory=uuid.uuid4)
    key: str = ""
    base: str = ""
    procs: list[PlatformProcess] = field(default_factory=list)
    submit: list[float] = field(default_factory=list)  # jobs/s per round
    worker: list[float] = field(default_factory=list)  # jobs/s per round
    first_page: list[list[float]] = field(default_factory=list)  # ms per request, per round
    deep_page: list[list[float]] = field(default_factory=list)
    tenant_jobs: list[int] = field(default_factory=list)  # the tenant's jobs when it was read
    states: list[str] = field(default_factory=list)

    def stop(self) -> None:
        for p in self.procs:
            p.stop()


def start_web(side: Side) -> None:
    """The side's web, kept in ``side.procs`` before it answers, so it is stopped whatever
    happens; a shared, loaded machine may take a while to start it."""
    port = free_port()
    environ = side.env.environ(JOBPLATFORM_LOG_LEVEL="WARNING")
    side.procs.append(
        PlatformProcess(f"web-{port}", ["web", "--port", str(port)], environ, side.env.log_dir)
    )
    side.base = f"http://127.0.0.1:{port}"
    wait_for(
        lambda: httpx.get(f"{side.base}/healthz", timeout=2).status_code == 200,
        timeout=180,
        what=f"the {side.name} web to answer",
    )


def get_load(base: str, api_key: str, path: str, requests: int, concurrency: int) -> list[float]:
    """GET ``path`` ``requests`` times at ``concurrency``; every answer a full page. Latencies
    in ms, after a warm-up of one request per client."""
    latencies: list[float] = []
    lock = threading.Lock()
    local = threading.local()

    def one(_: int) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {api_key}"}, timeout=60
            )
        t0 = time.perf_counter()
        r = client.get(path)
        elapsed = time.perf_counter() - t0
        if r.status_code != 200 or len(r.json()["items"]) != PAGE:
            raise RuntimeError(f"GET {path}: {r.status_code}: {r.text[:300]}")
        with lock:
            latencies.append(elapsed * 1000)

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(concurrency * 2)))
        latencies.clear()
        list(pool.map(one, range(requests)))
    return latencies


def oldest_page_cursor(database_url: str, tenant: uuid.UUID) -> tuple[str, int]:
    """The cursor whose page is the tenant's oldest full page (as the API encodes cursors:
    URL-safe base64 of ``<created_at>|<id>`` of the last job shown), and the tenant's jobs."""
    with psycopg.connect(database_url) as conn:
        conn.execute("SELECT set_config('jobplatform.scope', 'system', false)")
        count = conn.execute("SELECT count(*) FROM jobs WHERE tenant_id = %s", (tenant,))
        total = count.fetchone()[0]  # type: ignore[index]
        row = conn.execute(
            "SELECT created_at, id FROM jobs WHERE tenant_id = %s"
            " ORDER BY created_at, id OFFSET %s LIMIT 1",
            (tenant, PAGE),
        ).fetchone()
    assert row is not None, "the tenant has too few jobs for a deep page"
    created_at = row[0].astimezone(UTC)
    raw = f"{created_at.isoformat()}|{row[1]}"
    return base64.urlsafe_b64encode(raw.encode()).decode(), total


def issue_key(env: PlatformEnv, tenant: uuid.UUID | None) -> tuple[uuid.UUID, str]:
    from jobplatform.application.api_keys import create_tenant, issue_api_key
    from jobplatform.domain.tenant import TenantId
    from jobplatform.infrastructure.container import Container
    from jobplatform.infrastructure.settings import Settings

    c = Container(Settings(database_url=env.database_url, redis_url=env.redis_url))
    tid = TenantId(tenant) if tenant else create_tenant(c.tenants, f"history-{uuid.uuid4()}")
    key = issue_api_key(c.tenants, tid).plaintext
    c.close()
    return tid.value, key


def seed(database_url: str, tenants: int, history: int) -> tuple[list[uuid.UUID], float]:
    """The history, then ANALYZE; its tenants and the seconds it took."""
    started = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True) as conn:
        ids = add_tenants(conn, tenants, "history")
        # Finished within the last days, inside the default 30-day retention: what the tables
        # of a platform that keeps its history that long hold.
        newest = datetime.now(UTC) - timedelta(days=1)
        seed_finished_jobs(conn, ids, history // tenants, newest)
        conn.execute("ANALYZE")
    return ids, time.perf_counter() - started


def table_sizes(database_url: str) -> str:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT relname, pg_total_relation_size(oid) FROM pg_class"
            " WHERE relname IN ('jobs', 'outbox', 'job_attempts') ORDER BY relname"
        ).fetchall()
    return ", ".join(f"`{name}` {size / 2**20:.0f} MiB" for name, size in rows)


def measure(side: Side, args: argparse.Namespace) -> None:
    client = redis.Redis.from_url(side.env.redis_url)
    body = {"type": "noop", "payload": {}}
    result = http_load(
        side.base, side.key, "/v1/jobs", lambda i: body, 1, args.api_requests, args.concurrency
    )
    side.submit.append(result.jobs_per_second)
    rate, state = bench_platform_throughput(side.env, client, args.jobs)
    side.worker.append(rate)
    side.states.append(f"{state.jobs} / {state.succeeded} / {state.first_attempt}")
    side.first_page.append(
        get_load(side.base, side.key, f"/v1/jobs?limit={PAGE}", args.gets, args.concurrency)
    )
    cursor, total = oldest_page_cursor(side.env.database_url, side.tenant)
    side.tenant_jobs.append(total)
    side.deep_page.append(
        get_load(side.base, side.key, f"/v1/jobs?limit={PAGE}&cursor={cursor}", args.gets,
                 args.concurrency)
    )  # fmt: skip


def p99s(rounds: list[list[float]]) -> list[float]:
    return [percentile(r, 0.99) for r in rounds]


def spread(values: list[float], fmt: str) -> str:
    return f"{min(values):{fmt}}-{max(values):{fmt}}"


def rounds_of(values: list[float], fmt: str) -> str:
    return ", ".join(f"{v:{fmt}}" for v in values)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--history", type=int, default=1_000_000, help="finished jobs seeded")
    parser.add_argument("--tenants", type=int, default=100, help="tenants they belong to")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per database")
    parser.add_argument("--jobs", type=int, default=1000, help="jobs per worker round")
    parser.add_argument("--api-requests", type=int, default=800, help="submissions per round")
    parser.add_argument("--gets", type=int, default=300, help="GET /v1/jobs per page per round")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent API clients")
    parser.add_argument("--report", type=Path, default=None)
    args = parser.parse_args()
    command = shlex.join(["python", "tests/bench/history.py", *sys.argv[1:]])
    as_make = " (as `make bench` runs it)" if sys.argv[1:] == MAKE_ARGS else ""

    started_at, load_at_start = datetime.now(UTC), load_average()
    log_dir = Path(tempfile.mkdtemp(prefix="jp-history-"))
    redis_server, postgres = RedisServer().start(), PostgresServer().start()
    from jobplatform.infrastructure.db.migrate import upgrade

    sides: list[Side] = []
    try:
        for n, name in enumerate(("empty", "seeded"), start=1):
            url = postgres.create_app_database(user=f"history_{name}", db=f"history_{name}")
            upgrade(url)
            redis_url = redis_server.url.rsplit("/", 1)[0] + f"/{n}"
            sides.append(Side(name, PlatformEnv(url, redis_url, log_dir)))
        empty, seeded = sides
        tenants, seed_seconds = seed(seeded.env.database_url, args.tenants, args.history)
        sizes = table_sizes(seeded.env.database_url)
        print(f"seeded {args.history} jobs in {seed_seconds:.0f} s: {sizes}", flush=True)
        # The measured tenant: a new one on the empty side, one of the hundred on the other.
        empty.tenant, empty.key = issue_key(empty.env, None)
        seeded.tenant, seeded.key = issue_key(seeded.env, tenants[0])
        for side in sides:
            start_web(side)
            side.procs.append(
                start_worker(
                    side.env, "default", concurrency=2, name=f"history-{side.name}",
                    JOBPLATFORM_LOG_LEVEL="WARNING",
                )
            )  # fmt: skip
        # The empty side's tenant needs a page behind its first one before the first round.
        http_load(empty.base, empty.key, "/v1/jobs", lambda i: {"type": "noop", "payload": {}},
                  1, 2 * PAGE, args.concurrency)  # fmt: skip
        for round_ in range(1, args.rounds + 1):
            for side in sides if round_ % 2 else reversed(sides):  # alternate who goes first
                measure(side, args)
                print(
                    f"round {round_} {side.name}: submit {side.submit[-1]:.0f}/s, worker "
                    f"{side.worker[-1]:.0f}/s, GET p99 first {p99s(side.first_page)[-1]:.1f} ms "
                    f"deep {p99s(side.deep_page)[-1]:.1f} ms (load {load_average()})",
                    flush=True,
                )
    finally:
        for side in sides:
            side.stop()
        postgres.close()
        redis_server.close()
    load_at_end = load_average()

    rows = []
    costs = {}
    for label, key, higher_is_better, unit, fmt in (
        ("submit, `POST /v1/jobs`", "submit", True, "jobs/s", ".0f"),
        ("worker, no-op jobs drained", "worker", True, "jobs/s", ".0f"),
        ("`GET /v1/jobs` first page, p99", "first_page", False, "ms", ".1f"),
        ("`GET /v1/jobs` oldest page by cursor, p99", "deep_page", False, "ms", ".1f"),
    ):
        values = {}
        for side in sides:
            raw = getattr(side, key)
            values[side.name] = raw if higher_is_better else p99s(raw)
        e, s = statistics.median(values["empty"]), statistics.median(values["seeded"])
        cost = e / s if higher_is_better else s / e
        costs[label] = cost
        rows.append(
            f"| {label} | {unit} | {e:{fmt}} ({spread(values['empty'], fmt)}; "
            f"{rounds_of(values['empty'], fmt)}) | {s:{fmt}} ({spread(values['seeded'], fmt)}; "
            f"{rounds_of(values['seeded'], fmt)}) | {cost:.2f} |"
        )
    within = [label for label, c in costs.items() if c <= GOAL]
    beyond = [label for label, c in costs.items() if c > GOAL]
    verdict = f"{len(within)} of {len(costs)} figures within {GOAL}x of the empty database" + (
        f"; beyond it: {', '.join(beyond)}" if beyond else ""
    )
    lines = [
        f"## Cost as history grows: {args.history:,} finished jobs of {args.tenants} tenants",
        "",
        f"Generated by `{command}`{as_make}, started "
        f"{started_at:%Y-%m-%d %H:%M} UTC on {machine()}. Load average (1 / 5 / 15 min) at "
        f"start: {load_at_start}; at end: {load_at_end}.",
        "",
        "Method: one Postgres server, two databases migrated alike, each with its own web, "
        "worker (prefork, concurrency 2) and Redis database, all up for the whole run. The "
        f"seeded one holds {args.history:,} finished jobs of {args.tenants} tenants, each with "
        "its published outbox message and its attempt record, as the platform leaves them "
        f"(written in {seed_seconds:.0f} s by INSERT ... SELECT, then ANALYZE; {sizes}). "
        f"{args.rounds} rounds alternate between the databases (the first to go alternates "
        f"too); each round submits {args.api_requests} jobs through `POST /v1/jobs` at "
        f"{args.concurrency} concurrent clients, drains {args.jobs} no-op jobs through "
        "outbox, relay and worker (as the worker benchmark above), then reads "
        f"`GET /v1/jobs?limit={PAGE}` {args.gets} times for the first page and {args.gets} "
        "times for the tenant's oldest page by its keyset cursor. The measured tenant on the "
        f"seeded side is one of the {args.tenants}, with {args.history // args.tenants:,} "
        "finished jobs of its own; on the empty side a new tenant. Both keep the jobs the rounds "
        "submit.",
        "",
        "| figure | unit | empty: median (spread; rounds) | seeded: median (spread; rounds) "
        "| cost seeded / empty |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "Cost is empty / seeded for throughput and seeded / empty for latency: above 1 the "
        "history costs something. The p99 is per round, over that round's requests.",
        "",
        f"**{verdict}** in this run.",
        "",
        "The measured tenant's jobs when its oldest page was read, per round: empty "
        f"{rounds_of([float(n) for n in empty.tenant_jobs], '.0f')}; seeded "
        f"{rounds_of([float(n) for n in seeded.tenant_jobs], '.0f')}. Postgres after each "
        "worker drain (jobs / succeeded / attempts = 1): empty "
        f"{'; '.join(empty.states)}; seeded {'; '.join(seeded.states)}.",
        "",
        f"From `{command}`: " + "; ".join(f"{k}: {v:.2f}" for k, v in costs.items()) + ".",
        "",
    ]
    section = "\n".join(lines)
    print(section)
    if args.report:
        replace_section(args.report, "history", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
