"""A Redis client from a WorkerPool's `redis` section and the values of its Secret."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import redis
from redis.sentinel import Sentinel

TIMEOUT = 3.0  # a poll must fail fast: a hung probe would hold the pool's timer


def connect(
    section: Mapping[str, Any],
    url: str | None,
    username: str | None,
    password: str | None,
    ca_file: str | None = None,
) -> redis.Redis[bytes]:
    tls = section.get("tls") or {}
    options: dict[str, Any] = {"socket_timeout": TIMEOUT, "socket_connect_timeout": TIMEOUT}
    if username:
        options["username"] = username
    if password:
        options["password"] = password
    if "database" in section:
        options["db"] = int(section["database"])
    if tls.get("enabled"):
        options["ssl"] = True
        options["ssl_ca_certs"] = ca_file
        options["ssl_cert_reqs"] = "none" if tls.get("insecureSkipVerify") else "required"
    sentinel = section.get("sentinel")
    if sentinel:
        hosts = [(a.rsplit(":", 1)[0], int(a.rsplit(":", 1)[1])) for a in sentinel["addresses"]]
        return Sentinel(hosts, **options).master_for(sentinel["masterName"], **options)  # type: ignore[no-any-return]
    if not url:
        raise ValueError("the Redis Secret has no URL and no Sentinel is configured")
    return redis.Redis.from_url(url, **options)
