"""The chart's alert rules with the real promtool: the file is valid Prometheus rules, every
alert has a runbook that exists, and promtool's unit tests (alert_rules/alerts_test.yaml) fire
each alert on its trouble and not on a near miss."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from celery_autoscaler.policy.decision import ALERT_TYPES

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "charts" / "jobplatform" / "files" / "alerts.yaml"
UNIT_TESTS = Path(__file__).parent / "alert_rules" / "alerts_test.yaml"


def promtool(k8s_bin: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(k8s_bin / "promtool"), *args], capture_output=True, text=True, check=False
    )


def test_rules_file_is_valid(k8s_bin: Path) -> None:
    result = promtool(k8s_bin, "check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 8 rules found" in result.stdout, result.stdout


def test_every_alert_is_unit_tested_and_has_a_runbook(k8s_bin: Path) -> None:
    rules = [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]
    tested = set(re.findall(r"alertname: (\w+)", UNIT_TESTS.read_text()))
    assert {r["alert"] for r in rules} == tested
    for rule in rules:
        runbook = rule["annotations"]["runbook_url"].removeprefix("RUNBOOK_BASE_URL/")
        page = ROOT / "docs" / "runbooks" / runbook
        assert page.is_file(), rule["alert"]
        # The page an on-call lands on says which alert brought them there.
        assert f"`{rule['alert']}`" in page.read_text(), (rule["alert"], runbook)


def test_every_operator_alert_type_has_a_runbook() -> None:
    for alert_type in ALERT_TYPES:
        assert (ROOT / "docs" / "runbooks" / f"{alert_type}.md").is_file(), alert_type


def test_promtool_unit_tests_pass(k8s_bin: Path) -> None:
    result = promtool(k8s_bin, "test", "rules", str(UNIT_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout, result.stdout
