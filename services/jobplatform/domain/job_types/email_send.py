"""Send one templated plain-text email. The platform's SMTP credentials are never in the
payload: the worker resolves them from a secret reference when it sends."""

from __future__ import annotations

import string
from typing import Annotated, Self

from pydantic import Field, StringConstraints, model_validator

from jobplatform.domain.email import ADDRESS, TEMPLATES
from jobplatform.domain.job_types.spec import JobTypeSpec, Payload
from jobplatform.domain.queues import Queue
from jobplatform.domain.retry_policy import RetryPolicy

Address = Annotated[str, StringConstraints(pattern=ADDRESS, max_length=254)]
Value = Annotated[str, StringConstraints(max_length=2000)]


class EmailSendPayload(Payload):
    to: list[Address] = Field(min_length=1, max_length=20)
    template: str = Field(max_length=100)
    variables: dict[str, Value] = Field(default_factory=dict, max_length=50)

    @model_validator(mode="after")
    def _template_and_variables_match(self) -> Self:
        template = TEMPLATES.get(self.template)
        if template is None:
            raise ValueError(f"unknown template; one of {sorted(TEMPLATES)}")
        given, needed = set(self.variables), template.placeholders()
        if given != needed:
            raise ValueError(f"the template {template.name} takes exactly {sorted(needed)}")
        subject_names = set(string.Template(template.subject).get_identifiers())
        if any("\r" in self.variables[k] or "\n" in self.variables[k] for k in subject_names):
            raise ValueError("a subject variable is one line")
        return self


EMAIL_SEND = JobTypeSpec(
    name="email.send",
    queue=Queue.DEFAULT,
    payload_model=EmailSendPayload,
    retry_policy=RetryPolicy(max_retries=5, backoff_factor=2.0, backoff_max=120.0),
    description="Sends one templated email through the platform's SMTP server.",
)
