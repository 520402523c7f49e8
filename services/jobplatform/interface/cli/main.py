"""``jobplatform``: run a process of the platform, or manage tenants and API keys."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobplatform.infrastructure.container import Container
    from jobplatform.infrastructure.settings import Settings

# Exit statuses: 1 for a refused request or an unreachable service, 2 for bad usage/config.
FAILED, USAGE = 1, 2


def _settings() -> Settings:
    from jobplatform.infrastructure.settings import settings

    return settings()


def _bootstrap() -> Container:
    """The process's container and Celery app, from the one composition root."""
    from jobplatform.infrastructure.bootstrap import bootstrap

    return bootstrap(_settings())


def _logging(process: str) -> None:
    from jobplatform.infrastructure.logging_setup import configure_logging

    s = _settings()
    configure_logging(process, s.log_level, s.sensitive_fields)


def cmd_migrate(_: argparse.Namespace) -> int:
    from jobplatform.infrastructure.db.migrate import upgrade

    _logging("migrate")
    upgrade(_settings().database_url)
    print("database at the newest schema")
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    import uvicorn

    from jobplatform.infrastructure.settings import use_settings
    from jobplatform.interface.http.app import create_app

    _logging("web")
    # Every unit of work (and the key lookup) retries once on a connection the server dropped,
    # so a pre-ping round trip per request buys nothing.
    if "db_pre_ping" not in _settings().model_fields_set:
        use_settings(_settings().model_copy(update={"db_pre_ping": False}))
    host, port = args.host or _settings().host, args.port or _settings().port
    if args.reload_dir:
        # Development only (the chart's web.devReload, which `skaffold dev` syncs edited files
        # into): uvicorn restarts its serving process when a .py file under the directory
        # changes. It needs the app as an import string, built anew in each serving process.
        uvicorn.run(
            "jobplatform.interface.cli.main:reloaded_web_app",
            factory=True,
            reload=True,
            reload_dirs=[args.reload_dir],
            host=host,
            port=port,
            log_config=None,
            access_log=False,
        )
        return 0
    # One serving process per pod (replicas scale it, see docs/configuration.md), with the
    # C parser and event loop named: a missing one fails here instead of falling back to
    # uvicorn's pure-Python pair, which costs a third of a submit's CPU.
    uvicorn.run(
        create_app(_bootstrap()),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        workers=1,
        http="httptools",
        loop="uvloop",
    )
    return 0


def reloaded_web_app() -> object:
    """The HTTP API in a serving process uvicorn's reloader started: a fresh interpreter, so
    the settings and logging `main` set up are made again here."""
    from jobplatform.infrastructure.settings import load_settings, use_settings
    from jobplatform.interface.http.app import create_app

    use_settings(load_settings(process="web"))
    _logging("web")
    return create_app(_bootstrap())


def cmd_worker(args: argparse.Namespace) -> int:
    # prometheus_client picks its storage when first imported: children of the prefork pool
    # must write to files the parent's /metrics can read, so set this before any import. A
    # directory made here is removed when the worker exits (pool children leave through
    # os._exit, never through this frame).
    own_metrics_dir = None
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        own_metrics_dir = tempfile.mkdtemp(prefix="jobplatform-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = own_metrics_dir
    try:
        return _run_worker(args)
    finally:
        if own_metrics_dir is not None:
            shutil.rmtree(own_metrics_dir, ignore_errors=True)


def _run_worker(args: argparse.Namespace) -> int:
    from jobplatform.infrastructure.settings import use_settings

    if "db_pre_ping" not in _settings().model_fields_set:
        use_settings(_settings().model_copy(update={"db_pre_ping": False}))
    app = _bootstrap().celery
    argv = [
        "--quiet",
        "worker",
        "--queues",
        args.queues,
        "--concurrency",
        str(args.concurrency),
        "--pool",
        args.pool,
        "--loglevel",
        _settings().log_level,
        "--without-gossip",
        "--without-mingle",
    ]
    if args.hostname:
        argv += ["--hostname", args.hostname]
    app.start(argv)
    return 0


def cmd_relay(_: argparse.Namespace) -> int:
    _logging("relay")
    from prometheus_client import REGISTRY, start_http_server

    from jobplatform.domain.queues import Queue
    from jobplatform.infrastructure.queue_metrics import QueueCollector
    from jobplatform.infrastructure.relay_loop import run_relay

    c = _bootstrap()
    if c.settings.metrics_port:
        REGISTRY.register(QueueCollector(c.redis, [q.value for q in Queue]))
        start_http_server(c.settings.metrics_port, addr=c.settings.metrics_addr)
    run_relay(c, c.celery)
    return 0


def cmd_reconciler(_: argparse.Namespace) -> int:
    _logging("reconciler")
    from prometheus_client import start_http_server

    from jobplatform.infrastructure.reconciler_loop import run_reconciler

    c = _bootstrap()
    if c.settings.metrics_port:
        start_http_server(c.settings.metrics_port, addr=c.settings.metrics_addr)
    run_reconciler(c)
    return 0


def cmd_beat(args: argparse.Namespace) -> int:
    from prometheus_client import start_http_server

    from jobplatform.infrastructure.beat_loop import run_beat

    c = _bootstrap()
    if c.settings.metrics_port:
        start_http_server(c.settings.metrics_port, addr=c.settings.metrics_addr)
    run_beat(c.celery, c.settings.log_level, args.schedule_file)
    return 0


def cmd_tenant_create(args: argparse.Namespace) -> int:
    from jobplatform.application.api_keys import create_tenant

    tenant = create_tenant(_bootstrap().tenants, args.name, args.job_retention_days)
    print(tenant)
    return 0


def cmd_tenant_set_retention(args: argparse.Namespace) -> int:
    from jobplatform.application.api_keys import set_job_retention
    from jobplatform.domain.tenant import TenantId

    try:
        tenant = TenantId.parse(args.tenant)
        days = None if args.days == "default" else int(args.days)
    except ValueError as exc:
        return _fail(str(exc), USAGE)
    set_job_retention(_bootstrap().tenants, tenant, days)
    print(f"{tenant} job retention: {_retention_text(days)}")
    return 0


def cmd_tenant_list(_: argparse.Namespace) -> int:
    from jobplatform.application.api_keys import list_tenants

    for record in list_tenants(_bootstrap().tenants):
        retention = _retention_text(record.job_retention_days)
        print(f"{record.id}\t{record.name}\tjob retention: {retention}")
    return 0


def _retention_text(days: int | None) -> str:
    if days is None:
        return f"default ({_settings().job_retention_days:g} days)"
    return f"{days} days"


def cmd_key_issue(args: argparse.Namespace) -> int:
    from jobplatform.application.api_keys import issue_api_key
    from jobplatform.domain.tenant import TenantId

    try:
        tenant = TenantId.parse(args.tenant)
    except ValueError as exc:
        return _fail(str(exc), USAGE)
    expires_at = None
    if args.expires_in_days is not None:
        expires_at = datetime.now(UTC) + timedelta(days=args.expires_in_days)
    key = issue_api_key(_bootstrap().tenants, tenant, expires_at)
    print(f"key id: {key.key_id}", file=sys.stderr)
    if expires_at is not None:
        print(f"expires at: {expires_at.isoformat(timespec='seconds')}", file=sys.stderr)
    print("the key is shown once; store it now:", file=sys.stderr)
    print(key.plaintext)
    return 0


def cmd_key_list(args: argparse.Namespace) -> int:
    from jobplatform.domain.tenant import TenantId

    try:
        tenant = TenantId.parse(args.tenant)
    except ValueError as exc:
        return _fail(str(exc), USAGE)
    now = datetime.now(UTC)
    print("KEY ID        STATE    CREATED                    EXPIRES                    REVOKED")
    for key in _bootstrap().tenants.keys_of(tenant):
        print(
            f"{key.key_id:<13} {key.state(now):<8} {_when(key.created_at):<26} "
            f"{_when(key.expires_at):<26} {_when(key.revoked_at)}"
        )
    return 0


def _when(at: datetime | None) -> str:
    return "-" if at is None else at.astimezone(UTC).isoformat(timespec="seconds")


def _positive_days(value: str) -> float:
    try:
        days = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of days: {value!r}") from None
    if not days > 0 or days == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of days, not {value}")
    return days


def cmd_key_revoke(args: argparse.Namespace) -> int:
    if not _bootstrap().tenants.revoke_key(args.key_id):
        return _fail(f"no live key with id {args.key_id}")
    print(f"revoked {args.key_id}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jobplatform", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    web = sub.add_parser("web", help="run the HTTP API")
    web.add_argument("--host", default=None, help="default: JOBPLATFORM_HOST (127.0.0.1)")
    web.add_argument("--port", type=int, default=None, help="default: JOBPLATFORM_PORT (8000)")
    web.add_argument(
        "--reload-dir",
        default=None,
        help="development only: restart the server when a .py file under this directory changes",
    )
    web.set_defaults(func=cmd_web)
    worker = sub.add_parser("worker", help="run a Celery worker for some queues")
    worker.add_argument("--queues", default="default", help="comma-separated queue names")
    worker.add_argument("--concurrency", type=int, default=2)
    worker.add_argument("--pool", default="prefork", choices=["prefork", "solo", "threads"])
    worker.add_argument("--hostname", default=None)
    worker.set_defaults(func=cmd_worker)
    sub.add_parser("relay", help="publish the outbox to the broker").set_defaults(func=cmd_relay)
    sub.add_parser(
        "reconciler", help="re-publish jobs whose progress stalled (safe to run several)"
    ).set_defaults(func=cmd_reconciler)
    beat = sub.add_parser("beat", help="run the scheduler (one active at a time)")
    beat.add_argument("--schedule-file", default=None)
    beat.set_defaults(func=cmd_beat)
    tenants = sub.add_parser("tenants", help="manage tenants").add_subparsers(
        dest="action", required=True
    )
    create = tenants.add_parser("create", help="create a tenant and print its id")
    create.add_argument("name")
    create.add_argument(
        "--job-retention-days",
        type=int,
        default=None,
        help="days the tenant's finished jobs are kept (default: JOBPLATFORM_JOB_RETENTION_DAYS)",
    )
    create.set_defaults(func=cmd_tenant_create)
    retention = tenants.add_parser(
        "set-retention", help="set a tenant's job retention in days, or 'default'"
    )
    retention.add_argument("tenant")
    retention.add_argument("days")
    retention.set_defaults(func=cmd_tenant_set_retention)
    tenants.add_parser("list", help="list tenants: id, name and job retention").set_defaults(
        func=cmd_tenant_list
    )
    keys = sub.add_parser("keys", help="manage API keys").add_subparsers(
        dest="action", required=True
    )
    issue = keys.add_parser("issue", help="issue a key for a tenant (shown once)")
    issue.add_argument("tenant")
    issue.add_argument(
        "--expires-in-days",
        type=_positive_days,
        default=None,
        help="refuse the key this many days from now (default: it never expires)",
    )
    issue.set_defaults(func=cmd_key_issue)
    listing = keys.add_parser("list", help="list a tenant's keys and their state (no secrets)")
    listing.add_argument("tenant")
    listing.set_defaults(func=cmd_key_list)
    revoke = keys.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")
    revoke.set_defaults(func=cmd_key_revoke)
    return p


def _fail(message: str, status: int = FAILED) -> int:
    print(f"jobplatform: error: {message}", file=sys.stderr)
    return status


def _role(args: argparse.Namespace) -> str:
    return (
        str(args.command)
        if args.command in ("web", "worker", "relay", "reconciler", "beat", "migrate")
        else "cli"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every error a person can fix ends in one line and a non-zero status."""
    args = build_parser().parse_args(argv)
    from jobplatform.application.errors import ApplicationError
    from jobplatform.infrastructure.expected_faults import describe_fault
    from jobplatform.infrastructure.settings import InvalidSettings, load_settings, use_settings

    try:
        use_settings(load_settings(process=_role(args)))
    except InvalidSettings as exc:
        return _fail(f"invalid configuration: {exc}", USAGE)
    try:
        return int(args.func(args))
    except ApplicationError as exc:
        return _fail(str(exc))
    except Exception as exc:
        message = describe_fault(exc)
        if message is None:
            raise
        return _fail(message)


if __name__ == "__main__":
    sys.exit(main())
