"""Webhooks over HTTPS end to end: the suite's workers trust a private CA
(JOBPLATFORM_WEBHOOK_CA_FILE) on top of the public ones, so a receiver with a certificate it
signed gets the signed POST; a receiver whose certificate chains to no trusted CA gets no
request at all, and the delivery is retried until the endpoint is fixed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.wait import wait_for
from support.jobs import submit, wait_status
from support.tenants import SECRETS_USED, TenantFixture
from support.tls import ServerCertificate, make_server_certificate
from support.webhook_receiver import WebhookReceiver


@pytest.fixture(scope="module")
def trusted(webhook_tls: ServerCertificate) -> Iterator[WebhookReceiver]:
    server = WebhookReceiver(tls=webhook_tls)
    yield server
    server.close()


@pytest.fixture(scope="module")
def untrusted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebhookReceiver]:
    # A CA of its own, which no worker trusts.
    server = WebhookReceiver(tls=make_server_certificate(tmp_path_factory.mktemp("other-ca")))
    yield server
    server.close()


def _endpoint(
    api: httpx.Client, tenant: TenantFixture, secrets_dir: Path, url: str, name: str
) -> None:
    secret = "whsec-" + uuid.uuid4().hex
    SECRETS_USED.append(secret)
    (secrets_dir / str(tenant.id)).mkdir(exist_ok=True)
    (secrets_dir / str(tenant.id) / f"{name}-signing").write_text(secret + "\n")
    r = api.put(
        f"/v1/webhook-endpoints/{name}",
        json={"url": url, "secret_ref": f"{name}-signing", "timeout_seconds": 5},
        headers=tenant.headers,
    )
    assert r.status_code == 200, r.text


def _deliver(api: httpx.Client, tenant: TenantFixture, endpoint: str) -> str:
    r = submit(api, tenant, "webhook.deliver", {"endpoint": endpoint, "event": "e", "data": {}})
    assert r.status_code == 202, r.text
    job_id: str = r.json()["job_id"]
    return job_id


def _attempts(api: httpx.Client, tenant: TenantFixture, job_id: str) -> list[dict[str, Any]]:
    r = api.get(f"/v1/jobs/{job_id}/webhook-attempts", headers=tenant.headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def test_a_receiver_with_a_certificate_of_a_trusted_private_ca_gets_the_post(
    api: httpx.Client,
    tenant: TenantFixture,
    platform: object,
    secrets_dir: Path,
    trusted: WebhookReceiver,
) -> None:
    name, path = f"tls-{uuid.uuid4().hex[:8]}", f"/hook/{uuid.uuid4().hex}"
    assert trusted.url(path).startswith("https://")
    _endpoint(api, tenant, secrets_dir, trusted.url(path), name)
    job_id = _deliver(api, tenant, name)
    job = wait_status(api, tenant, job_id, "succeeded", "dead")
    assert job["status"] == "succeeded", job
    got = trusted.received(path)
    assert len(got) == 1 and got[0].headers["webhook-id"] == job_id
    assert [(a["attempt"], a["status"]) for a in _attempts(api, tenant, job_id)] == [(1, 200)]


def test_a_certificate_no_trusted_ca_signed_gets_no_request_and_the_delivery_is_retried(
    api: httpx.Client,
    tenant: TenantFixture,
    platform: object,
    secrets_dir: Path,
    trusted: WebhookReceiver,
    untrusted: WebhookReceiver,
) -> None:
    name, path = f"tls-{uuid.uuid4().hex[:8]}", f"/hook/{uuid.uuid4().hex}"
    _endpoint(api, tenant, secrets_dir, untrusted.url(path), name)
    job_id = _deliver(api, tenant, name)
    wait_for(lambda: len(_attempts(api, tenant, job_id)) >= 2, timeout=60, what="two attempts")
    assert untrusted.received(path) == []
    first = _attempts(api, tenant, job_id)[0]
    assert (first["status"], first["error_class"]) == (None, "ConnectError")

    # The tenant points the endpoint at a receiver the workers trust: the next attempt lands.
    _endpoint(api, tenant, secrets_dir, trusted.url(path), name)
    job = wait_status(api, tenant, job_id, "succeeded", "dead", timeout=120)
    assert job["status"] == "succeeded", job
    assert len(trusted.received(path)) == 1
    assert _attempts(api, tenant, job_id)[-1]["status"] == 200
