"""Beat's schedule: every scheduled per-tenant job goes through the fan-out and names a job
type of the catalog, and the audit jobs fire at their configured intervals."""

from __future__ import annotations

from typing import Any

from jobplatform.domain.job_types.catalog import CATALOG
from jobplatform.infrastructure.celery.config import SCHEDULE_FAN_OUT_TASK, celery_config
from jobplatform.infrastructure.settings import Settings


def _schedule(**overrides: Any) -> dict[str, dict[str, Any]]:
    schedule: dict[str, dict[str, Any]] = celery_config(Settings(**overrides))["beat_schedule"]
    return schedule


def test_every_fanned_out_entry_names_a_catalog_type() -> None:
    fanned = {
        name: entry["args"]
        for name, entry in _schedule().items()
        if entry["task"] == SCHEDULE_FAN_OUT_TASK
    }
    for name, (schedule_name, job_type, _interval) in fanned.items():
        assert schedule_name == name and job_type in CATALOG


def test_audit_aggregation_and_compaction_run_per_tenant_at_their_intervals() -> None:
    schedule = _schedule(audit_aggregate_schedule_seconds=600, audit_compact_schedule_seconds=7200)
    aggregate, compact = schedule["aggregate-audit-events"], schedule["compact-audit-events"]
    assert (aggregate["task"], aggregate["schedule"]) == (SCHEDULE_FAN_OUT_TASK, 600)
    assert aggregate["args"] == ("aggregate-audit-events", "audit.aggregate", 600)
    assert compact["args"] == (
        "compact-audit-events",
        "maintenance.compact_audit_events",
        7200,
    )
