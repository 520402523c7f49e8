"""Secrets by reference from files: a tenant reaches only its own, the platform only its own."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from jobplatform.application.secrets import SecretNotFound
from jobplatform.domain.email import IMPORT_COMPLETED, NOTICE, InvalidEmail
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.secrets.file_secrets import FileSecretStore

A, B = TenantId(uuid.uuid4()), TenantId(uuid.uuid4())


@pytest.fixture
def store(tmp_path: Path) -> FileSecretStore:
    for owner, value in ((str(A), "a-secret"), (str(B), "b-secret"), ("platform", "p-secret")):
        (tmp_path / owner).mkdir()
        (tmp_path / owner / "signing").write_text(value + "\n")
    return FileSecretStore(tmp_path)


def test_each_owner_resolves_its_own_secret(store: FileSecretStore) -> None:
    assert store.resolve(A, "signing") == "a-secret"
    assert store.resolve(B, "signing") == "b-secret"
    assert store.resolve_platform("signing") == "p-secret"


@pytest.mark.parametrize(
    "ref", ["", "..", f"../{B}/signing", "../platform/signing", "a/signing", ".signing", "x\x00"]
)
def test_a_reference_cannot_leave_its_owners_directory(store: FileSecretStore, ref: str) -> None:
    with pytest.raises(SecretNotFound):
        store.resolve(A, ref)


def test_a_missing_secret_is_not_found(store: FileSecretStore) -> None:
    with pytest.raises(SecretNotFound):
        store.resolve(A, "nothing-here")


def test_templates_render_and_a_subject_stays_one_line() -> None:
    assert IMPORT_COMPLETED.placeholders() == {"import_name", "rows", "rejected"}
    subject, body = IMPORT_COMPLETED.render({"import_name": "q1", "rows": "5", "rejected": "0"})
    assert subject == "Import q1 finished" and "5 rows imported, 0 rows rejected" in body
    with pytest.raises(InvalidEmail):
        NOTICE.render({"subject": "hi\nBcc: x@evil.test", "text": "t"})
