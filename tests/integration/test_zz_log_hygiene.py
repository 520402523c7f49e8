"""Runs last in this folder: every failure line names its job, and no secret the whole suite
used appears in anything any platform process logged."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from devstack.wait import wait_for
from support.jobs import submit, wait_status
from support.tenants import SECRETS_USED, TenantFixture

FAILURE_FIELDS = ("tenant_id", "job_id", "request_id", "job_type", "attempt", "error_class")


def _lines(log_dir: Path) -> list[dict[str, object]]:
    found = []
    for path in log_dir.glob("*.log"):
        lines = path.read_text(errors="replace").splitlines()
        for i, line in enumerate(lines):
            if not line.startswith("{"):
                continue
            try:
                found.append(json.loads(line))
            except ValueError:
                if i != len(lines) - 1:  # only a line still being written may be cut short
                    raise
    return found


def test_failures_are_logged_with_their_context_and_no_secret_leaks(
    api: httpx.Client, tenant: TenantFixture, platform: object, log_dir: Path
) -> None:
    secret = "tok-" + "Zq9" * 8
    SECRETS_USED.append(secret)
    failing = submit(
        api,
        tenant,
        "diagnostic",
        {"non_retryable": True, "secret_token": secret},
        **{"X-Request-ID": "hygiene-req"},
    ).json()["job_id"]
    wait_status(api, tenant, failing, "dead")
    # An Authorization header sent to a bad path is logged by nobody either.
    api.get("/v1/nowhere", headers=tenant.headers)

    # The worker writes its failure line just after committing the state: wait for it.
    wait_for(
        lambda: any(
            x.get("event") == "job_failed" and x.get("job_id") == failing for x in _lines(log_dir)
        ),
        timeout=10,
        what="the failure line",
    )
    lines = _lines(log_dir)
    failures = [x for x in lines if x.get("event") == "job_failed"]
    assert any(
        x.get("job_id") == failing and x.get("request_id") == "hygiene-req" for x in failures
    )
    for line in failures:
        missing = [f for f in FAILURE_FIELDS if line.get(f) in (None, "")]
        assert not missing, f"failure line without {missing}: {line}"

    everything = "\n".join(p.read_text(errors="replace") for p in log_dir.glob("*.log"))
    assert SECRETS_USED, "the suite registered no secret to look for"
    leaked = [s[:12] + "..." for s in SECRETS_USED if s in everything]
    assert leaked == []
