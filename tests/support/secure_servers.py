"""Redis that speaks only TLS with an ACL user (the default user disabled), and Postgres with
a password-protected application role: the production shape of both connections."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

import psycopg
import redis

from devstack.local_servers import PostgresServer
from devstack.ports import free_port
from devstack.wait import wait_for
from support.tls import ServerCertificate, make_server_certificate


class TlsRedisServer:
    def __init__(self, user: str, password: str) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="jp-redis-tls-"))
        self.certs: ServerCertificate = make_server_certificate(self.dir / "tls")
        self.port, self.user, self.password = free_port(), user, password
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return (
            f"rediss://{quote(self.user)}:{quote(self.password)}@127.0.0.1:{self.port}/0"
            f"?ssl_cert_reqs=required&ssl_ca_certs={quote(str(self.certs.ca))}"
        )

    def start(self) -> TlsRedisServer:
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server") or "/usr/bin/redis-server",
                "--port", "0",  # no plain-text port at all
                "--tls-port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(self.dir),
                "--tls-cert-file", str(self.certs.cert),
                "--tls-key-file", str(self.certs.key),
                "--tls-ca-cert-file", str(self.certs.ca),
                "--tls-auth-clients", "no",
                "--save", "",
                "--maxmemory-policy", "noeviction",
                "--user", "default", "off",
                "--user", self.user, "on", f">{self.password}", "~*", "&*", "+@all",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(lambda: self.client().ping(), timeout=20, what="TLS redis to answer")
        return self

    def client(self) -> redis.Redis[bytes]:
        return redis.Redis.from_url(self.url)

    def close(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        shutil.rmtree(self.dir, ignore_errors=True)


def require_password(server: PostgresServer, role: str, password: str) -> str:
    """Create a database owned by ``role`` that logs in with ``password`` over TCP only
    (scram-sha-256), and return its URL."""
    url = server.create_app_database(user=role, db=role)
    admin = server.url("postgres", "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"ALTER ROLE \"{role}\" PASSWORD '{password}'")
        hba = Path(conn.execute("SHOW hba_file").fetchone()[0])  # type: ignore[index]
    # First match wins: the role must present its password, everyone else keeps trust.
    rules = hba.read_text()
    hba.write_text(f"host all {role} 127.0.0.1/32 scram-sha-256\n{rules}")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("SELECT pg_reload_conf()")
    with contextlib.suppress(ValueError):
        url = url.replace(f"postgresql://{role}@", f"postgresql://{role}:{quote(password)}@")
    return url
