"""Email dispatch end to end: the API, relay, reconciler and a real worker of a platform of
its own, against a real SMTP server on loopback that requires a login."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from devstack.processes import start_worker
from devstack.wait import wait_for
from support.jobs import submit, wait_status
from support.logs import failure_line
from support.mail_stack import SENDER, SMTP_USER, MailStack
from support.tenants import TenantFixture, make_tenant


@pytest.fixture
def mail_tenant(mail: MailStack) -> TenantFixture:
    return make_tenant(mail.container)


def _send(mail: MailStack, tenant: TenantFixture, to: list[str], **headers: str) -> str:
    payload = {
        "to": to,
        "template": "import.completed",
        "variables": {"import_name": "march", "rows": "1200", "rejected": "3"},
    }
    r = submit(mail.api, tenant, "email.send", payload, **headers)
    assert r.status_code == 202, r.text
    job_id: str = r.json()["job_id"]
    return job_id


def _address(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}@example.test"


def test_a_templated_email_is_sent_once_with_the_resolved_credentials(
    mail: MailStack, mail_tenant: TenantFixture
) -> None:
    to = _address("ada-")
    job_id = _send(mail, mail_tenant, [to])
    job = wait_status(mail.api, mail_tenant, job_id, "succeeded", "dead")
    assert job["status"] == "succeeded" and job["attempts"] == 1
    [message] = mail.smtp.to(to)
    assert message["Subject"] == "Import march finished"
    assert message["From"] == SENDER and message["To"] == to
    assert message["Message-ID"] == f"<{job_id}@jobplatform>"
    assert "1200 rows imported, 3 rows rejected" in message.get_payload()
    assert (SMTP_USER, True) in mail.smtp.state.logins
    assert mail.password not in str(job)


def test_a_job_redelivered_after_its_send_succeeded_sends_no_second_email(
    mail: MailStack, mail_tenant: TenantFixture
) -> None:
    to = _address("hold-quit-")
    job_id = _send(mail, mail_tenant, [to])
    # The server accepted the message and holds the QUIT: the worker is still in the send.
    wait_for(mail.smtp.state.quit_held.is_set, timeout=60, what="the accepted message")
    assert len(mail.smtp.to(to)) == 1
    mail.procs["worker"].kill()
    mail.smtp.state.release_quit.set()
    mail.procs["worker"] = start_worker(mail.env, "default", concurrency=1, name="mail-worker-1")
    # The reconciler publishes the job again (its lease ran out, or, for a run started from its
    # ticket and killed before its lease keeper marked it, its queued bound passed), and
    # another attempt runs it.
    job = wait_status(mail.api, mail_tenant, job_id, "succeeded", "dead", timeout=90)
    assert job["status"] == "succeeded"
    # 2 when the killed run had its attempt stored; 1 when it had started from its ticket and
    # was killed before the mark (it wrote nothing: docs/reliability.md, "Run tickets").
    assert job["attempts"] in (1, 2)
    assert len(mail.smtp.to(to)) == 1


def test_a_temporary_refusal_is_retried_and_a_permanent_one_is_final(
    mail: MailStack, mail_tenant: TenantFixture
) -> None:
    later = _address("later-")
    job_id = _send(mail, mail_tenant, [later])
    job = wait_status(mail.api, mail_tenant, job_id, "succeeded", "dead")
    assert job["status"] == "succeeded" and job["attempts"] == 2
    assert job["attempt_history"][0]["error_class"] == "MailServerUnavailable"
    assert len(mail.smtp.to(later)) == 1

    refused = _address("refuse-")
    job_id = _send(mail, mail_tenant, [refused], **{"X-Request-ID": "mail-550"})
    job = wait_status(mail.api, mail_tenant, job_id, "succeeded", "dead")
    assert job["status"] == "dead" and job["attempts"] == 1
    assert job["error_class"] == "EmailRejected"
    assert mail.smtp.to(refused) == []
    line = wait_for(
        lambda: failure_line(mail.env.log_dir, job_id), timeout=10, what="the failure line"
    )
    assert line["tenant_id"] == str(mail_tenant.id) and line["request_id"] == "mail-550"
    assert (line["job_type"], line["attempt"], line["error_class"]) == (
        "email.send",
        1,
        "EmailRejected",
    )
    logs = "\n".join(p.read_text(errors="replace") for p in mail.env.log_dir.glob("*.log"))
    assert mail.password not in logs


@pytest.mark.parametrize(
    "payload",
    [
        {"to": ["a@example.test"], "template": "nope", "variables": {}},
        {"to": ["a@example.test"], "template": "notice", "variables": {"subject": "s"}},
        {
            "to": ["a@example.test"],
            "template": "notice",
            "variables": {"subject": "s", "text": "t", "extra": "x"},
        },
        {
            "to": ["a@example.test"],
            "template": "notice",
            "variables": {"subject": "s\r\nBcc: x@evil.test", "text": "t"},
        },
        {
            "to": ["not an address"],
            "template": "notice",
            "variables": {"subject": "s", "text": "t"},
        },
        {"to": [], "template": "notice", "variables": {"subject": "s", "text": "t"}},
        {
            "to": ["a@example.test"],
            "template": "notice",
            "variables": {"subject": "s", "text": "t"},
            "smtp_password": "x",
        },
    ],
)
def test_invalid_emails_are_refused_before_they_are_queued(
    mail: MailStack, mail_tenant: TenantFixture, payload: dict[str, Any]
) -> None:
    r = submit(mail.api, mail_tenant, "email.send", payload)
    assert r.status_code == 422, r.text
