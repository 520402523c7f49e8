"""Email dispatch: render the template, send once. The ledger claim is taken before the send
and given back only when the send fails, so a job redelivered after its message was accepted
does not send it again."""

from __future__ import annotations

from jobplatform.application.handlers.job_run import JobRun
from jobplatform.application.mail import OutgoingEmail
from jobplatform.domain.email import TEMPLATES, InvalidEmail
from jobplatform.domain.job_types.email_send import EmailSendPayload

EFFECT_KEY = "email-send"


def handle_email_send(payload: EmailSendPayload, run: JobRun) -> None:
    mailer = run.services.require_mailer()
    template = TEMPLATES.get(payload.template)
    if template is None:
        raise InvalidEmail("unknown template")
    subject, body = template.render(payload.variables)
    email = OutgoingEmail(
        to=tuple(payload.to),
        subject=subject,
        body=body,
        message_id=f"<{run.job_id}@jobplatform>",
    )
    run.effects.attempt(EFFECT_KEY, lambda: mailer.send(email))
