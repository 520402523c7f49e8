"""A domain event triggers its declared follow-up jobs (a webhook and an email), each in the
parent's tenant and under the parent's request id, and each run once."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from devstack.wait import wait_for
from support.jobs import submit, wait_status
from support.mail_stack import MailStack
from support.tenants import SECRETS_USED, TenantFixture, make_tenant
from support.webhook_receiver import WebhookReceiver


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    yield server
    server.close()


def _jobs_of_request(api: httpx.Client, tenant: TenantFixture, request_id: str) -> list[Any]:
    items = api.get("/v1/jobs", params={"limit": 200}, headers=tenant.headers).json()["items"]
    return [j for j in items if j["request_id"] == request_id]


def _system_sql(database_url: str, query: str, *params: object) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("SELECT set_config('jobplatform.scope', 'system', false)")
        return conn.execute(query, params).fetchall()  # type: ignore[arg-type]


def test_import_completed_triggers_a_webhook_and_an_email_in_the_parents_context(
    mail: MailStack, receiver: WebhookReceiver
) -> None:
    api, tenant, other = mail.api, make_tenant(mail.container), make_tenant(mail.container)
    secret = "whsec-" + uuid.uuid4().hex
    SECRETS_USED.append(secret)
    (mail.secrets_dir / str(tenant.id)).mkdir()
    (mail.secrets_dir / str(tenant.id) / "signing").write_text(secret)
    path = f"/events/{uuid.uuid4().hex}"
    api.put(
        "/v1/webhook-endpoints/imports",
        json={"url": receiver.url(path), "secret_ref": "signing"},
        headers=tenant.headers,
    ).raise_for_status()
    notify = f"ops-{uuid.uuid4().hex[:8]}@example.test"
    request_id = f"evt-{uuid.uuid4().hex[:12]}"
    data = {
        "import_name": "customers-q3",
        "rows": 998,
        "rejected": 2,
        "webhook_endpoint": "imports",
        "notify": [notify],
    }
    r = submit(
        api,
        tenant,
        "event.dispatch",
        {"name": "import.completed", "data": data},
        **{"X-Request-ID": request_id},
    )
    assert r.status_code == 202, r.text
    parent = r.json()["job_id"]
    assert wait_status(api, tenant, parent, "succeeded", "dead")["status"] == "succeeded"

    children = wait_for(
        lambda: (
            found
            if len(
                found := [j for j in _jobs_of_request(api, tenant, request_id) if j["id"] != parent]
            )
            == 2
            and all(j["status"] == "succeeded" for j in found)
            else None
        ),
        timeout=90,
        what="both follow-ups to succeed",
    )
    assert sorted(j["type"] for j in children) == ["email.send", "webhook.deliver"]
    assert all(j["request_id"] == request_id for j in children)
    # The children's rows and the messages that carried them name the parent's tenant and
    # request (the worker rebuilds its tenant context from exactly these).
    ids = [j["id"] for j in children] + [parent]
    rows = _system_sql(
        mail.env.database_url,
        "SELECT j.id::text, j.tenant_id::text, j.request_id, o.tenant_id::text, o.request_id"
        " FROM jobs j JOIN outbox o ON o.job_id = j.id WHERE j.id::text = ANY(%s)",
        ids,
    )
    assert {r[0] for r in rows} == set(ids)
    assert {r[1:] for r in rows} == {(str(tenant.id), request_id, str(tenant.id), request_id)}
    # Another tenant sees none of them.
    assert _jobs_of_request(api, other, request_id) == []

    [delivery] = receiver.received(path)
    body = json.loads(delivery.body)
    assert body["tenant_id"] == str(tenant.id) and body["event"] == "import.completed"
    assert body["data"] == {"import_name": "customers-q3", "rows": 998, "rejected": 2}
    [message] = mail.smtp.to(notify)
    assert message["Subject"] == "Import customers-q3 finished"


def test_a_follow_up_the_event_does_not_ask_for_is_not_submitted(mail: MailStack) -> None:
    tenant = make_tenant(mail.container)
    request_id = f"evt-{uuid.uuid4().hex[:12]}"
    data = {"import_name": "quiet", "rows": 1, "rejected": 0}
    parent = submit(
        mail.api,
        tenant,
        "event.dispatch",
        {"name": "import.completed", "data": data},
        **{"X-Request-ID": request_id},
    ).json()["job_id"]
    wait_status(mail.api, tenant, parent, "succeeded")
    assert [j["id"] for j in _jobs_of_request(mail.api, tenant, request_id)] == [parent]


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "no.such.event", "data": {}},
        {"name": "import.completed", "data": {"import_name": "x"}},
        {
            "name": "import.completed",
            "data": {"import_name": "x", "rows": 1, "rejected": 0, "notify": ["not an address"]},
        },
    ],
)
def test_unknown_events_and_bad_event_data_are_refused(
    mail: MailStack, payload: dict[str, Any]
) -> None:
    tenant = make_tenant(mail.container)
    assert submit(mail.api, tenant, "event.dispatch", payload).status_code == 422
