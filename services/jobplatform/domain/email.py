"""Email dispatch's rules: the declared templates, and the failures a send can end in."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

from jobplatform.domain.errors import NonRetryableError, RetryableError

ADDRESS = r"^[^@\s<>,;:\"()\[\]\\]{1,64}@[A-Za-z0-9.-]{1,189}$"


@dataclass(frozen=True, slots=True)
class EmailTemplate:
    """Plain-text subject and body with ``$name`` placeholders (string.Template)."""

    name: str
    subject: str
    body: str

    def placeholders(self) -> set[str]:
        return set(string.Template(self.subject).get_identifiers()) | set(
            string.Template(self.body).get_identifiers()
        )

    def render(self, variables: Mapping[str, str]) -> tuple[str, str]:
        """(subject, body); a value cannot break the subject into another header line."""
        subject = string.Template(self.subject).substitute(variables)
        if "\r" in subject or "\n" in subject:
            raise InvalidEmail("a subject is one line")
        return subject, string.Template(self.body).substitute(variables)


IMPORT_COMPLETED = EmailTemplate(
    name="import.completed",
    subject="Import $import_name finished",
    body=(
        "Hello,\n\nThe import $import_name finished: $rows rows imported, "
        "$rejected rows rejected.\n"
    ),
)
NOTICE = EmailTemplate(name="notice", subject="$subject", body="$text\n")
TEMPLATES: Mapping[str, EmailTemplate] = {t.name: t for t in (IMPORT_COMPLETED, NOTICE)}


class InvalidEmail(NonRetryableError):
    """The message cannot be built (unknown template, a variable missing or malformed)."""


class EmailRejected(NonRetryableError):
    """The mail server refused the message for good (a 5xx answer)."""


class MailAuthenticationFailed(NonRetryableError):
    """The server refused the platform's credentials: a configuration error."""


class MailServerUnavailable(RetryableError):
    """No connection, a dropped one, a timeout or a 4xx answer: worth another try later."""
