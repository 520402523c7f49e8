"""The SMTP adapter against a real server on loopback, without the platform around it: what
counts as sent, and which failures are final."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.ports import free_port
from jobplatform.application.mail import OutgoingEmail
from jobplatform.domain.email import (
    EmailRejected,
    MailAuthenticationFailed,
    MailServerUnavailable,
)
from jobplatform.infrastructure.mail.smtp_mailer import SmtpConfig, SmtpMailer
from jobplatform.infrastructure.secrets.file_secrets import FileSecretStore
from support.smtp_server import MailServer
from support.tenants import SECRETS_USED

USER = "mailer"


@pytest.fixture
def server() -> Iterator[tuple[MailServer, str]]:
    password = "pw-" + uuid.uuid4().hex
    SECRETS_USED.append(password)
    s = MailServer(USER, password)
    yield s, password
    s.close()


def _mailer(tmp_path: Path, port: int, password: str, timeout: float = 5.0) -> SmtpMailer:
    (tmp_path / "platform").mkdir(exist_ok=True)
    (tmp_path / "platform" / "smtp").write_text(password)
    config = SmtpConfig(
        host="127.0.0.1",
        port=port,
        sender="noreply@jobplatform.test",
        timeout_seconds=timeout,
        username=USER,
        password_ref="smtp",
    )
    return SmtpMailer(config, FileSecretStore(tmp_path))


def _email(to: str) -> OutgoingEmail:
    return OutgoingEmail(to=(to,), subject="s", body="b", message_id=f"<{uuid.uuid4()}@test>")


def test_a_quit_that_times_out_after_the_message_was_accepted_is_a_send(
    server: tuple[MailServer, str], tmp_path: Path
) -> None:
    smtp, password = server
    to = f"hold-quit-{uuid.uuid4().hex[:6]}@example.test"
    # The server holds the QUIT past the client's timeout: the send must still count.
    _mailer(tmp_path, smtp.port, password, timeout=1.0).send(_email(to))
    assert smtp.state.quit_held.is_set()
    assert len(smtp.to(to)) == 1


def test_a_refused_login_and_a_refused_recipient_are_final(
    server: tuple[MailServer, str], tmp_path: Path
) -> None:
    smtp, password = server
    with pytest.raises(MailAuthenticationFailed):
        _mailer(tmp_path, smtp.port, "wrong-" + password).send(_email("a@example.test"))
    with pytest.raises(EmailRejected):
        _mailer(tmp_path, smtp.port, password).send(_email("refuse-x@example.test"))
    assert smtp.accepted() == []


def test_a_server_that_is_not_there_or_defers_is_worth_a_retry(
    server: tuple[MailServer, str], tmp_path: Path
) -> None:
    smtp, password = server
    with pytest.raises(MailServerUnavailable):
        _mailer(tmp_path, free_port(), password).send(_email("a@example.test"))
    later = f"later-{uuid.uuid4().hex[:6]}@example.test"
    with pytest.raises(MailServerUnavailable):
        _mailer(tmp_path, smtp.port, password).send(_email(later))
    _mailer(tmp_path, smtp.port, password).send(_email(later))
    assert len(smtp.to(later)) == 1
