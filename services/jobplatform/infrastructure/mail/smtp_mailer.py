"""The mail port on smtplib: one connection per message, credentials read when it is sent.

Failures are reported by SMTP code or exception class only: a server's reply text or an
exception's message can quote addresses or what we sent."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from jobplatform.application.mail import Mailer, OutgoingEmail
from jobplatform.application.secrets import SecretStore
from jobplatform.domain.email import (
    EmailRejected,
    MailAuthenticationFailed,
    MailServerUnavailable,
)


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    timeout_seconds: float
    starttls: bool = False
    username: str | None = None
    # The password's name in the platform's secret store, never the password.
    password_ref: str | None = None


class SmtpMailer(Mailer):
    def __init__(self, config: SmtpConfig, secrets: SecretStore):
        self._config = config
        self._secrets = secrets

    def _message(self, email: OutgoingEmail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._config.sender
        message["To"] = ", ".join(email.to)
        message["Subject"] = email.subject
        message["Message-ID"] = email.message_id
        message.set_content(email.body)
        return message

    def send(self, email: OutgoingEmail) -> None:
        c = self._config
        message = self._message(email)
        password = self._secrets.resolve_platform(c.password_ref) if c.password_ref else None
        try:
            smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout_seconds)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailServerUnavailable(type(exc).__name__) from None
        try:
            try:
                if c.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if c.username:
                    smtp.login(c.username, password or "")
                smtp.send_message(message)
            except smtplib.SMTPAuthenticationError as exc:
                raise MailAuthenticationFailed(f"SMTP {exc.smtp_code}") from None
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                raise _by_code(min(codes)) from None
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                raise _by_code(exc.smtp_code) from None
            except (OSError, smtplib.SMTPException) as exc:
                raise MailServerUnavailable(type(exc).__name__) from None
            # Accepted. A QUIT that fails or times out does not undo that, so it must not
            # fail the job (a retry would send the message again).
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.quit()
        finally:
            smtp.close()


def _by_code(code: int) -> Exception:
    if 500 <= code < 600:
        return EmailRejected(f"SMTP {code}")
    return MailServerUnavailable(f"SMTP {code}")
