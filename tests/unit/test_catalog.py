import pytest
from pydantic import ValidationError

from jobplatform.application.handlers.registry import HANDLERS
from jobplatform.domain.job_types.catalog import CATALOG, UnknownJobType, job_type
from jobplatform.domain.job_types.diagnostic import DiagnosticPayload
from jobplatform.domain.job_types.spec import public_form, stored_form
from jobplatform.domain.queues import Queue


def test_every_job_type_has_a_handler_and_a_known_queue() -> None:
    assert set(HANDLERS) == set(CATALOG)
    assert {spec.queue for spec in CATALOG.values()} == set(Queue)


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_payloads_refuse_unknown_fields(name: str) -> None:
    with pytest.raises(ValidationError):
        CATALOG[name].payload_model.model_validate({"not_a_field": 1})


def test_unknown_type() -> None:
    with pytest.raises(UnknownJobType):
        job_type("no-such-type")


def test_secrets_are_stored_for_the_worker_but_masked_for_the_api() -> None:
    payload = DiagnosticPayload.model_validate({"secret_token": "hunter2"})
    assert stored_form(payload)["secret_token"] == "hunter2"
    assert "hunter2" not in str(public_form(payload))
    # The stored form validates back to the same payload: a worker sees what was submitted.
    assert DiagnosticPayload.model_validate(stored_form(payload)) == payload
