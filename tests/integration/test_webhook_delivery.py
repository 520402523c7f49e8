"""Webhook delivery end to end: the API, the relay, real workers, and a real HTTP receiver on
loopback that fails, throttles, refuses or hangs."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.wait import wait_for
from jobplatform.infrastructure.container import Container
from support.jobs import submit, wait_status
from support.logs import failure_line, json_lines
from support.tenants import SECRETS_USED, TenantFixture
from support.webhook_receiver import HANG, WebhookReceiver


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    yield server
    server.close()


def _endpoint(
    api: httpx.Client,
    tenant: TenantFixture,
    secrets_dir: Path,
    receiver: WebhookReceiver,
    *,
    timeout: float = 5.0,
) -> tuple[str, str, str]:
    """A fresh endpoint with its own path and secret; (endpoint name, path, secret)."""
    name, path = f"ep-{uuid.uuid4().hex[:8]}", f"/hook/{uuid.uuid4().hex}"
    secret = "whsec-" + uuid.uuid4().hex
    SECRETS_USED.append(secret)
    ref = f"{name}-signing"
    (secrets_dir / str(tenant.id)).mkdir(exist_ok=True)
    (secrets_dir / str(tenant.id) / ref).write_text(secret + "\n")
    r = api.put(
        f"/v1/webhook-endpoints/{name}",
        json={"url": receiver.url(path), "secret_ref": ref, "timeout_seconds": timeout},
        headers=tenant.headers,
    )
    assert r.status_code == 200, r.text
    assert secret not in r.text
    return name, path, secret


def _deliver(api: httpx.Client, tenant: TenantFixture, endpoint: str, **headers: str) -> str:
    r = submit(
        api,
        tenant,
        "webhook.deliver",
        {"endpoint": endpoint, "event": "import.completed", "data": {"rows": 3}},
        **headers,
    )
    assert r.status_code == 202, r.text
    job_id: str = r.json()["job_id"]
    return job_id


def _attempts(api: httpx.Client, tenant: TenantFixture, job_id: str) -> list[dict[str, Any]]:
    r = api.get(f"/v1/jobs/{job_id}/webhook-attempts", headers=tenant.headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def _valid_signature(secret: str, headers: dict[str, str], body: bytes) -> bool:
    signed = headers["webhook-timestamp"].encode() + b"." + body
    expected = "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["webhook-signature"])


def test_a_delivery_failing_twice_is_retried_and_arrives_signed(
    api: httpx.Client,
    tenant: TenantFixture,
    platform: object,
    secrets_dir: Path,
    receiver: WebhookReceiver,
) -> None:
    name, path, secret = _endpoint(api, tenant, secrets_dir, receiver)
    receiver.script(path, 503, 500)
    job_id = _deliver(api, tenant, name)
    job = wait_status(api, tenant, job_id, "succeeded", "dead")
    assert job["status"] == "succeeded" and job["attempts"] == 3

    got = receiver.received(path)
    assert len(got) == 3
    # Every attempt: the same id and bytes, signed over its own timestamp with the secret.
    assert {r.headers["webhook-id"] for r in got} == {job_id}
    assert len({r.body for r in got}) == 1
    assert all(_valid_signature(secret, r.headers, r.body) for r in got)
    assert not _valid_signature("not-" + secret, got[0].headers, got[0].body)
    document = json.loads(got[0].body)
    assert document == {
        "id": job_id,
        "tenant_id": str(tenant.id),
        "event": "import.completed",
        "data": {"rows": 3},
    }
    assert secret not in got[0].body.decode() and secret not in str(got[0].headers)

    attempts = _attempts(api, tenant, job_id)
    assert [(a["attempt"], a["status"]) for a in attempts] == [(1, 503), (2, 500), (3, 200)]
    assert all(a["latency_ms"] >= 0 and a["endpoint"] == name for a in attempts)
    assert secret not in json.dumps(attempts) and secret not in json.dumps(job)


def test_429_waits_at_least_the_retry_after_it_names(
    api: httpx.Client,
    tenant: TenantFixture,
    platform: object,
    secrets_dir: Path,
    receiver: WebhookReceiver,
) -> None:
    name, path, _ = _endpoint(api, tenant, secrets_dir, receiver)
    receiver.script(path, (429, {"Retry-After": "3"}))
    job_id = _deliver(api, tenant, name)
    job = wait_status(api, tenant, job_id, "succeeded", "dead")
    assert job["status"] == "succeeded"
    first = job["attempt_history"][0]
    assert first["error_class"] == "WebhookThrottled"
    # The backoff of a first retry is at most 1s: the recorded wait is the receiver's.
    assert first["retry_delay"] >= 3
    assert [a["status"] for a in _attempts(api, tenant, job_id)] == [429, 200]


def test_410_is_not_retried(
    api: httpx.Client,
    tenant: TenantFixture,
    platform: object,
    secrets_dir: Path,
    receiver: WebhookReceiver,
    log_dir: Path,
) -> None:
    name, path, secret = _endpoint(api, tenant, secrets_dir, receiver)
    receiver.script(path, 410, 410)
    job_id = _deliver(api, tenant, name, **{"X-Request-ID": "webhook-410"})
    job = wait_status(api, tenant, job_id, "succeeded", "dead")
    assert job["status"] == "dead" and job["attempts"] == 1
    assert job["error_class"] == "WebhookRejected"
    assert len(receiver.received(path)) == 1
    assert [a["status"] for a in _attempts(api, tenant, job_id)] == [410]
    letters = api.get("/v1/dead-letters", headers=tenant.headers).json()["items"]
    assert any(x["job_id"] == job_id and x["reason"] == "non_retryable" for x in letters)
    # The worker's failure line names the job, its tenant, request, type, attempt and error.
    line = wait_for(lambda: failure_line(log_dir, job_id), timeout=10, what="the failure line")
    assert line["tenant_id"] == str(tenant.id) and line["request_id"] == "webhook-410"
    assert (line["job_type"], line["attempt"]) == ("webhook.deliver", 1)
    assert line["error_class"] == "WebhookRejected"
    assert not any(secret in p.read_text(errors="replace") for p in log_dir.glob("*.log"))


def test_a_hanging_endpoint_times_out_and_the_next_attempt_delivers(
    api: httpx.Client,
    tenant: TenantFixture,
    platform: object,
    secrets_dir: Path,
    receiver: WebhookReceiver,
) -> None:
    name, path, _ = _endpoint(api, tenant, secrets_dir, receiver, timeout=0.5)
    receiver.script(path, HANG)
    job_id = _deliver(api, tenant, name)
    job = wait_status(api, tenant, job_id, "succeeded", "dead")
    assert job["status"] == "succeeded"
    attempts = _attempts(api, tenant, job_id)
    assert [(a["status"], a["error_class"]) for a in attempts] == [
        (None, "ReadTimeout"),
        (200, None),
    ]


def test_a_refused_connection_is_retried(
    api: httpx.Client,
    tenant: TenantFixture,
    platform: object,
    secrets_dir: Path,
    receiver: WebhookReceiver,
) -> None:
    name, _, _ = _endpoint(api, tenant, secrets_dir, receiver)
    # Point the endpoint at a loopback port nobody listens on.
    closed = WebhookReceiver()
    url = closed.url("/gone")
    closed.close()
    ref = api.get(f"/v1/webhook-endpoints/{name}", headers=tenant.headers).json()["secret_ref"]
    api.put(
        f"/v1/webhook-endpoints/{name}",
        json={"url": url, "secret_ref": ref, "timeout_seconds": 2},
        headers=tenant.headers,
    ).raise_for_status()
    job_id = _deliver(api, tenant, name)
    # Two failed attempts show it is retried; the endpoint then comes back on the receiver.
    wait_for(lambda: len(_attempts(api, tenant, job_id)) >= 2, timeout=60, what="two attempts")
    path = "/back"
    api.put(
        f"/v1/webhook-endpoints/{name}",
        json={"url": receiver.url(path), "secret_ref": ref, "timeout_seconds": 2},
        headers=tenant.headers,
    ).raise_for_status()
    job = wait_status(api, tenant, job_id, "succeeded", "dead", timeout=120)
    assert job["status"] == "succeeded"
    attempts = _attempts(api, tenant, job_id)
    assert attempts[0]["status"] is None and attempts[0]["error_class"] == "ConnectError"
    assert attempts[-1]["status"] == 200
    assert len(receiver.received(path)) == 1


def test_unknown_endpoints_and_missing_secrets_fail_for_good(
    api: httpx.Client,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    platform: object,
    secrets_dir: Path,
    receiver: WebhookReceiver,
) -> None:
    name, path, _ = _endpoint(api, tenant, secrets_dir, receiver)
    # Another tenant neither sees the endpoint nor can deliver to it.
    assert api.get(f"/v1/webhook-endpoints/{name}", headers=other_tenant.headers).status_code == 404
    theirs = _deliver(api, other_tenant, name)
    job = wait_status(api, other_tenant, theirs, "succeeded", "dead")
    assert job["error_class"] == "UnknownWebhookEndpoint" and job["attempts"] == 1

    # A secret reference with no secret behind it: a configuration error, not retried.
    api.put(
        f"/v1/webhook-endpoints/{name}",
        json={"url": receiver.url(path), "secret_ref": "missing"},
        headers=tenant.headers,
    ).raise_for_status()
    job_id = _deliver(api, tenant, name)
    job = wait_status(api, tenant, job_id, "succeeded", "dead")
    assert job["error_class"] == "SecretNotFound" and job["attempts"] == 1
    assert receiver.received(path) == []


@pytest.mark.parametrize(
    "body",
    [
        {"url": "file:///etc/passwd", "secret_ref": "x"},
        {"url": "http://127.0.0.1/x", "secret_ref": "../other/secret"},
        {"url": "http://127.0.0.1/x", "secret_ref": "x", "secret": "inline"},
        {"url": "http://127.0.0.1/x", "secret_ref": "x", "timeout_seconds": 3600},
    ],
)
def test_bad_endpoint_configuration_is_refused(
    api: httpx.Client, tenant: TenantFixture, web: str, body: dict[str, Any]
) -> None:
    r = api.put("/v1/webhook-endpoints/ep", json=body, headers=tenant.headers)
    assert r.status_code == 422, r.text


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is link-local"),
        ("http://10.0.0.1/hook", "10.0.0.1 is private"),
        ("https://192.168.0.10/hook", "192.168.0.10 is private"),
        ("http://[fd00::1]/hook", "fd00::1 is private"),
        ("http://[::1]:8080/hook", "::1 is loopback"),  # the suite allows 127.0.0.0/8 only
        ("http://0.0.0.0:8080/hook", "0.0.0.0 is unspecified"),
        ("http://224.0.0.1/hook", "224.0.0.1 is multicast"),
        ("http://100.64.0.1/hook", "100.64.0.1 is shared address space"),
        ("http://[::ffff:169.254.169.254]/", "carries 169.254.169.254"),
        ("http://user:pw@127.0.0.1/hook", "credentials"),
    ],
)
def test_an_endpoint_the_platform_does_not_post_to_is_refused(
    api: httpx.Client, tenant: TenantFixture, web: str, url: str, reason: str
) -> None:
    name = f"ep-{uuid.uuid4().hex[:8]}"
    r = api.put(
        f"/v1/webhook-endpoints/{name}",
        json={"url": url, "secret_ref": "x"},
        headers=tenant.headers,
    )
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["detail"].startswith("webhooks are not sent to this URL: ")
    assert reason in body["detail"]
    assert body["errors"][0]["loc"] == ["body", "url"]
    assert api.get(f"/v1/webhook-endpoints/{name}", headers=tenant.headers).status_code == 404


@pytest.mark.parametrize("host", ["0.0.0.0", "[::ffff:0.0.0.0]"])
def test_a_stored_endpoint_the_platform_does_not_post_to_fails_for_good_unsent(
    api: httpx.Client,
    tenant: TenantFixture,
    container: Container,
    platform: object,
    secrets_dir: Path,
    receiver: WebhookReceiver,
    log_dir: Path,
    host: str,
) -> None:
    # An endpoint stored before the rule (or the operator's allowed networks) changed, written
    # as the API would have. Its host reaches the receiver on Linux (0.0.0.0 is the local
    # host): only the guard keeps the webhook from arriving.
    name, path, _ = _endpoint(api, tenant, secrets_dir, receiver)
    stored = receiver.url(path).replace("127.0.0.1", host)
    with container.uow_factory.for_tenant(tenant.id) as uow:
        endpoint = uow.webhook_endpoints.get(name)
        assert endpoint is not None
        uow.webhook_endpoints.put(replace(endpoint, url=stored), container.clock.now())
        uow.commit()

    job_id = _deliver(api, tenant, name)
    job = wait_status(api, tenant, job_id, "succeeded", "dead")
    assert (job["status"], job["attempts"]) == ("dead", 1)
    assert job["error_class"] == "WebhookDestinationForbidden"
    attempts = _attempts(api, tenant, job_id)
    assert [(a["status"], a["error_class"]) for a in attempts] == [
        (None, "WebhookDestinationForbidden")
    ]
    letters = api.get("/v1/dead-letters", headers=tenant.headers).json()["items"]
    assert any(x["job_id"] == job_id and x["reason"] == "non_retryable" for x in letters)
    assert receiver.received(path) == []
    refused = wait_for(
        lambda: next(
            (
                line
                for line in json_lines(log_dir)
                if line.get("event") == "webhook_destination_refused"
                and line.get("job_id") == job_id
            ),
            None,
        ),
        timeout=10,
        what="the refusal's log line",
    )
    assert "unspecified" in refused["reason"]
