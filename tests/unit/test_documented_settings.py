"""The docs and the code agree on configuration: every documented ``JOBPLATFORM_*`` setting
exists, every setting is documented, and nothing but the settings model reads one."""

from __future__ import annotations

import re
from pathlib import Path

from jobplatform.infrastructure.settings import env_names

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"JOBPLATFORM_[A-Z0-9_]*[A-Z0-9]")
# Variables of the test harness and the toolchain, documented in docs/testing.md; not settings
# of the platform.
TOOLING = {
    "JOBPLATFORM_K8S_CACHE",
    "JOBPLATFORM_TEST_KEEP_LOGS",
    "JOBPLATFORM_CLUSTER_DIR",
    "JOBPLATFORM_IMAGES_CACHE",
    "JOBPLATFORM_REQUIRE_REAL_NODE",
    "JOBPLATFORM_BRIDGE",
    "JOBPLATFORM_UPDATE_EXPECTATIONS",
}


def _settings_table() -> set[str]:
    rows = (ROOT / "docs" / "configuration.md").read_text().splitlines()
    return {
        name
        for row in rows
        if row.startswith("| `JOBPLATFORM_")
        for name in NAME.findall(row.split("|")[1])
    }


def test_every_setting_is_documented_and_every_documented_setting_exists() -> None:
    documented = _settings_table()
    assert documented, "the settings table of docs/configuration.md was not found"
    assert env_names() - documented == set(), "settings missing from docs/configuration.md"
    assert documented - env_names() == set(), "documented settings the code does not have"


def test_every_variable_the_docs_name_is_a_setting_or_documented_tooling() -> None:
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    named = {name for page in docs for name in NAME.findall(page.read_text())}
    assert named - env_names() - TOOLING == set()
    testing = (ROOT / "docs" / "testing.md").read_text()
    assert {t for t in TOOLING if t not in testing} == set(), "tooling variables undocumented"


def test_only_the_settings_model_reads_platform_variables_from_the_environment() -> None:
    reads = re.compile(r"(os\.environ|getenv\()[^\n]*JOBPLATFORM_")
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "services" / "jobplatform").rglob("*.py")
        if reads.search(path.read_text())
    ]
    assert offenders == []
