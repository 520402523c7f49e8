"""A platform of its own for the email tests (and the event follow-ups that send email): its
own broker and database, a real SMTP server on loopback, and a worker a test may kill."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from devstack.local_servers import PostgresServer, RedisServer
from devstack.processes import (
    PlatformEnv,
    PlatformProcess,
    start_reconciler,
    start_relay,
    start_web,
    start_worker,
)
from jobplatform.infrastructure.container import Container
from jobplatform.infrastructure.db.migrate import upgrade
from jobplatform.infrastructure.settings import Settings
from support.smtp_server import MailServer
from support.tenants import SECRETS_USED

SMTP_USER = "jobplatform-mailer"
SENDER = "noreply@jobplatform.test"
# Leases and the reconciler are short, so a job whose worker was killed is taken over in
# seconds (the visibility timeout stays an hour).
FAST_RECOVERY = {
    "JOBPLATFORM_LEASE_SECONDS": "3",
    "JOBPLATFORM_RECONCILER_INTERVAL_SECONDS": "0.5",
    "JOBPLATFORM_RECONCILER_QUEUED_AFTER_SECONDS": "5",
    "JOBPLATFORM_RECONCILER_RETRY_GRACE_SECONDS": "2",
}


@dataclass
class MailStack:
    smtp: MailServer
    password: str
    env: PlatformEnv
    container: Container
    api: httpx.Client
    secrets_dir: Path
    procs: dict[str, PlatformProcess] = field(default_factory=dict)


@contextmanager
def mail_stack(postgres_server: PostgresServer, log_dir: Path) -> Iterator[MailStack]:
    # A broker and a database of its own: the suite's shared workers never take these jobs,
    # and this test may kill its worker.
    broker = RedisServer().start()
    url = postgres_server.create_app_database(user="mailtest", db="mailtest")
    upgrade(url)
    password = "smtp-pw-" + uuid.uuid4().hex
    SECRETS_USED.append(password)
    secrets = Path(tempfile.mkdtemp(prefix="jp-mail-secrets-"))
    (secrets / "platform").mkdir()
    (secrets / "platform" / "smtp-password").write_text(password + "\n")
    smtp = MailServer(SMTP_USER, password)
    env = PlatformEnv(
        database_url=url,
        redis_url=broker.url,
        log_dir=log_dir,
        extra={
            **FAST_RECOVERY,
            "JOBPLATFORM_SECRETS_DIR": str(secrets),
            "JOBPLATFORM_SMTP_HOST": "127.0.0.1",
            "JOBPLATFORM_SMTP_PORT": str(smtp.port),
            "JOBPLATFORM_SMTP_USERNAME": SMTP_USER,
            "JOBPLATFORM_SMTP_PASSWORD_REF": "smtp-password",
            "JOBPLATFORM_SMTP_TIMEOUT_SECONDS": "60",
            "JOBPLATFORM_EMAIL_FROM": SENDER,
        },
    )
    container = Container(Settings(database_url=url, redis_url=broker.url))
    web, base = start_web(env)
    procs = {"web": web}
    client = httpx.Client(base_url=base, timeout=30)
    stack = MailStack(smtp, password, env, container, client, secrets, procs)
    try:
        procs["relay"] = start_relay(env)
        procs["reconciler"] = start_reconciler(env)
        procs["worker"] = start_worker(env, "default", concurrency=1, name="mail-worker-0")
        yield stack
    finally:
        client.close()
        for proc in procs.values():
            proc.stop()
        container.close()
        smtp.close()
        broker.close()
        shutil.rmtree(secrets, ignore_errors=True)
