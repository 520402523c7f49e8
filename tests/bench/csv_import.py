"""CSV import against a plain Postgres ``COPY`` of the same file, in the same run.

Generates a deterministic CSV (``id,email,name``), starts Postgres, Redis, the web, the relay
and one heavy worker as local processes on loopback, uploads the file through
``POST /v1/imports`` and polls ``GET /v1/jobs/{id}`` until the job has ended, sampling the
worker's memory (the worker and its pool children) meanwhile. Then ``COPY`` loads the same
file into a table shaped like ``contacts`` in the same database. With --report, writes (or
replaces) its own section of that Markdown file and leaves the rest of the file as it is.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from report import load_average, machine, replace_section  # noqa: E402
from worker_memory import PeakMemory  # noqa: E402

from devstack.local_servers import PostgresServer, RedisServer  # noqa: E402
from devstack.processes import PlatformEnv, start_relay, start_web, start_worker  # noqa: E402

CHUNK_ROWS = 1_000  # the platform's default JOBPLATFORM_IMPORT_CHUNK_ROWS


def write_csv(path: Path, rows: int) -> int:
    """The file, the same bytes for the same row count; its size in bytes."""
    with path.open("w", newline="") as f:
        f.write("id,email,name\r\n")
        for i in range(rows):
            f.write(f"c{i:08d},person{i}@example.test,Person {i}\r\n")
    return path.stat().st_size


def file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            yield block


def api_key(env: PlatformEnv) -> tuple[str, uuid.UUID]:
    from jobplatform.application.api_keys import create_tenant, issue_api_key
    from jobplatform.infrastructure.container import Container
    from jobplatform.infrastructure.settings import Settings

    c = Container(Settings(database_url=env.database_url, redis_url=env.redis_url))
    tenant = create_tenant(c.tenants, f"csv-bench-{uuid.uuid4()}")
    key = issue_api_key(c.tenants, tenant)
    c.close()
    return key.plaintext, tenant.value


@dataclass
class ImportRun:
    upload_seconds: float
    job_seconds: float  # from the 202 to the job's end (queue, relay, both passes, commits)
    job: dict[str, Any]
    memory: PeakMemory
    idle_mib: float


def run_import(base: str, key: str, csv_path: Path, worker_pid: int) -> ImportRun:
    memory = PeakMemory(worker_pid)
    memory.sample()
    idle_mib = memory.peak_total_mib
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, timeout=120, headers=headers) as api:
        started = time.perf_counter()
        r = api.post(
            "/v1/imports", content=file_chunks(csv_path), headers={"Content-Type": "text/csv"}
        )
        accepted = time.perf_counter()
        if r.status_code != 202:
            raise SystemExit(f"upload refused: {r.status_code} {r.text}")
        job_id = r.json()["job_id"]
        while True:
            memory.sample()
            job = api.get(f"/v1/jobs/{job_id}").json()
            progress = job.get("progress") or {}
            print(
                f"\r{job['status']:>10}: {progress.get('rows_done', 0):>9} of "
                f"{progress.get('rows_total', '?')} rows, worker RSS now-peak "
                f"{memory.peak_total_mib:.0f} MiB",
                end="",
                flush=True,
            )
            if job["status"] in ("succeeded", "dead", "failed", "cancelled"):
                break
            time.sleep(1)
        ended = time.perf_counter()
        memory.sample()
        print(flush=True)
    return ImportRun(accepted - started, ended - accepted, job, memory, idle_mib)


def imported_contacts(admin_url: str, tenant: uuid.UUID) -> int:
    with psycopg.connect(admin_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM contacts WHERE tenant_id = %s", (tenant,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def run_copy(admin_url: str, csv_path: Path, tenant: uuid.UUID) -> tuple[float, int]:
    """Seconds to COPY the file into a table shaped like ``contacts`` (same key, same
    columns, every row the same tenant's), committed; and the rows it holds."""
    with psycopg.connect(admin_url) as conn:
        conn.execute(
            "CREATE TABLE copy_contacts ("
            f" tenant_id uuid NOT NULL DEFAULT '{tenant}',"
            " external_id varchar(100) NOT NULL, email varchar(254) NOT NULL,"
            " name varchar(200) NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),"
            " PRIMARY KEY (tenant_id, external_id))"
        )
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cur:
            sql = "COPY copy_contacts (external_id, email, name) FROM STDIN (FORMAT csv, HEADER)"
            with cur.copy(sql) as copy:
                for block in file_chunks(csv_path):
                    copy.write(block)
        conn.commit()
        seconds = time.perf_counter() - started
        counted = conn.execute("SELECT count(*) FROM copy_contacts").fetchone()
    assert counted is not None
    return seconds, int(counted[0])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="data rows in the CSV")
    parser.add_argument("--report", type=Path, default=None, help="Markdown file to update")
    args = parser.parse_args()
    command = shlex.join(["python", "tests/bench/csv_import.py", *sys.argv[1:]])

    started_at, load_at_start = datetime.now(UTC), load_average()
    work = Path(tempfile.mkdtemp(prefix="jp-csv-bench-"))
    csv_path = work / "contacts.csv"
    size = write_csv(csv_path, args.rows)
    print(f"{csv_path}: {args.rows} rows, {size / 2**20:.1f} MiB", flush=True)
    storage = work / "storage"
    storage.mkdir()
    redis_server, postgres = RedisServer().start(), PostgresServer().start()
    procs = []
    try:
        database_url = postgres.create_app_database()
        admin_url = postgres.url("postgres", "jobplatform")
        from jobplatform.infrastructure.db.migrate import upgrade

        upgrade(database_url)
        env = PlatformEnv(
            database_url=database_url,
            redis_url=redis_server.url,
            log_dir=work,
            extra={
                "JOBPLATFORM_STORAGE_ROOT": str(storage),
                "JOBPLATFORM_IMPORT_MAX_BYTES": str(max(size * 2, 104_857_600)),
                "JOBPLATFORM_IMPORT_CHUNK_ROWS": str(CHUNK_ROWS),
                "JOBPLATFORM_LOG_LEVEL": "WARNING",
            },
        )
        key, tenant = api_key(env)
        web, base = start_web(env)
        procs.append(web)
        procs.append(start_relay(env))
        worker = start_worker(env, "heavy", concurrency=1, name="csv-bench-heavy")
        procs.append(worker)
        imported = run_import(base, key, csv_path, worker.pid)
        stored = imported_contacts(admin_url, tenant)
        for p in reversed(procs):
            p.stop()
        procs.clear()
        copy_seconds, copied = run_copy(admin_url, csv_path, tenant)
    finally:
        for p in reversed(procs):
            p.stop()
        postgres.close()
        redis_server.close()
    load_at_end = load_average()

    job, memory = imported.job, imported.memory
    ok = job["status"] == "succeeded" and stored == copied == args.rows
    import_rate = args.rows / imported.job_seconds
    end_to_end_rate = args.rows / (imported.upload_seconds + imported.job_seconds)
    copy_rate = args.rows / copy_seconds
    section = "\n".join(
        [
            f"## CSV import: {args.rows:,} rows against Postgres `COPY`",
            "",
            f"Generated by `{command}` (`make bench` runs it with `--rows 1000000`), started "
            f"{started_at:%Y-%m-%d %H:%M} UTC on {machine()}. Load average (1 / 5 / 15 min) at "
            f"start: {load_at_start}; at end: {load_at_end}.",
            "",
            f"Method: one deterministic file of {args.rows:,} rows (`id,email,name`, "
            f"{size / 2**20:.1f} MiB, every row valid), uploaded through `POST /v1/imports` to "
            "local processes on loopback (web, relay, one heavy worker with concurrency 1, "
            f"`JOBPLATFORM_IMPORT_CHUNK_ROWS={CHUNK_ROWS}`). The job time runs from the 202 to "
            "the job's end as `GET /v1/jobs/{id}` shows it (polled every second, so up to a "
            "second late): queueing, the counting pass, checking every row and one upsert "
            "transaction per chunk. Worker memory is read from /proc while the job runs: the "
            "worker and its pool children, each process's own high-water mark (VmHWM) and the "
            "highest sum of their RSS seen in a sample. Then `COPY ... FROM STDIN (FORMAT csv)` "
            "loads the same file from this process into a table with the same columns and "
            "primary key as `contacts`, in the same database, committed.",
            "",
            "| path | rows | seconds | rows/s |",
            "|---|---|---|---|",
            f"| platform import, 202 to job end | {stored:,} | {imported.job_seconds:.1f} | "
            f"{import_rate:,.0f} |",
            f"| platform import, upload included | {stored:,} | "
            f"{imported.upload_seconds + imported.job_seconds:.1f} | {end_to_end_rate:,.0f} |",
            f"| plain `COPY` of the same file | {copied:,} | {copy_seconds:.1f} | "
            f"{copy_rate:,.0f} |",
            "",
            f"**Ratio import / COPY: {import_rate / copy_rate:.3f}** (the import checks each "
            "row, upserts so a repeated file changes nothing, and records progress per chunk). "
            f"Upload alone: {imported.upload_seconds:.1f} s.",
            "",
            f"Heavy worker memory: largest single process peak (VmHWM) "
            f"**{memory.largest_process_mib:.0f} MiB**; highest total RSS of the worker and its "
            f"children seen {memory.peak_total_mib:.0f} MiB (idle before the upload: "
            f"{imported.idle_mib:.0f} MiB).",
            "",
            f"Job: status `{job['status']}`, attempts {job.get('attempts')}, progress "
            f"{job.get('progress')}; contacts stored for the tenant: {stored:,}"
            + (" - every row imported." if ok else " - NOT every row imported."),
            "",
        ]
    )
    print(section)
    if args.report:
        replace_section(args.report, "csv-import", section)
    if ok:  # on a failure the logs stay for a look
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"logs: {work}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
