from jobplatform.infrastructure.logging_setup import REDACTED, Redactor


def test_sensitive_keys_and_key_shaped_values_are_masked() -> None:
    redact = Redactor(extra_fields=["customer_secret"])
    event = redact(
        None,
        "info",
        {
            "event": "x",
            "authorization": "Bearer abc.def",
            "api_key": "k",
            "nested": {"password": "p", "ok": 1, "customer_secret": "c"},
            "note": "client sent jpk_abcdef_XYZ123 and Bearer qwerty",
            "payload": {"anything": "at all"},
            "tenant_id": "t",
        },
    )
    assert event["authorization"] == event["api_key"] == REDACTED
    assert event["nested"] == {"password": REDACTED, "ok": 1, "customer_secret": REDACTED}
    assert "jpk_" not in event["note"] and "qwerty" not in event["note"]
    assert event["payload"] == REDACTED
    assert event["tenant_id"] == "t" and event["event"] == "x"
