"""The mail port: hand one message to the platform's mail server."""

from __future__ import annotations

import abc
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    to: tuple[str, ...]
    subject: str
    body: str
    # The same on every attempt of one job, so a mail system can drop a repeat.
    message_id: str


class Mailer(abc.ABC):
    @abc.abstractmethod
    def send(self, email: OutgoingEmail) -> None:
        """Returns once the server accepted the message; raises the domain's email failures
        (MailServerUnavailable to retry, EmailRejected or MailAuthenticationFailed for good)."""
