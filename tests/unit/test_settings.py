"""The settings model: parsing, the database URL's driver, cross-field checks, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobplatform.infrastructure.settings import InvalidSettings, Settings, load_settings
from support.tls import make_server_certificate


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("postgresql://u@h:1/d", "postgresql+psycopg://u@h:1/d"),
        ("postgres://u:p@h/d", "postgresql+psycopg://u:p@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
    ],
)
def test_the_database_url_gets_the_shipped_driver(given: str, stored: str) -> None:
    assert Settings(database_url=given).database_url == stored


def test_a_database_url_of_another_kind_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBPLATFORM_DATABASE_URL", "mysql://u@h/d")
    with pytest.raises(InvalidSettings, match="JOBPLATFORM_DATABASE_URL: must be a postgresql"):
        load_settings()


def test_values_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBPLATFORM_PORT", "9001")
    monkeypatch.setenv("JOBPLATFORM_SENSITIVE_FIELDS", " card_number, ,iban ")
    monkeypatch.setenv("JOBPLATFORM_LOG_LEVEL", "warning")
    monkeypatch.setenv("JOBPLATFORM_METRICS_ADDR", "127.0.0.1")
    s = load_settings(process="relay")
    assert (s.port, s.sensitive_fields, s.log_level) == (9001, ["card_number", "iban"], "WARNING")
    assert (s.metrics_addr, s.process) == ("127.0.0.1", "relay")


def test_the_visibility_timeout_must_exceed_the_task_time_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JOBPLATFORM_VISIBILITY_TIMEOUT_SECONDS", "60")
    monkeypatch.setenv("JOBPLATFORM_TASK_TIME_LIMIT_SECONDS", "60")
    with pytest.raises(InvalidSettings, match="VISIBILITY_TIMEOUT_SECONDS must exceed"):
        load_settings()
    monkeypatch.setenv("JOBPLATFORM_VISIBILITY_TIMEOUT_SECONDS", "61")
    assert load_settings().visibility_timeout_seconds == 61


def test_every_bad_variable_is_named_on_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBPLATFORM_PORT", "abc")
    monkeypatch.setenv("JOBPLATFORM_MAX_BODY_BYTES", "-1")
    with pytest.raises(InvalidSettings) as raised:
        load_settings()
    message = str(raised.value)
    assert "\n" not in message
    assert "JOBPLATFORM_PORT" in message and "JOBPLATFORM_MAX_BODY_BYTES" in message


def test_a_worker_refuses_to_start_with_a_webhook_ca_file_it_cannot_load(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing, garbage = tmp_path / "missing.pem", tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    for path in (missing, garbage):
        monkeypatch.setenv("JOBPLATFORM_WEBHOOK_CA_FILE", str(path))
        with pytest.raises(InvalidSettings, match="JOBPLATFORM_WEBHOOK_CA_FILE: cannot load"):
            load_settings(process="worker")
        # Only workers send webhooks: the other processes do not read the file.
        assert load_settings(process="web").webhook_ca_file == str(path)
    ca = make_server_certificate(tmp_path / "tls").ca
    monkeypatch.setenv("JOBPLATFORM_WEBHOOK_CA_FILE", str(ca))
    assert load_settings(process="worker").webhook_ca_file == str(ca)
