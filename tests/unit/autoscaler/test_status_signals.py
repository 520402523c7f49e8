"""The signals the operator writes to WorkerPool status: every one is in the CRD's schema (the
API server prunes what it does not declare), and the new-job count only when it is known."""

from __future__ import annotations

from pathlib import Path

import yaml

from celery_autoscaler import status
from celery_autoscaler.policy import Observation, QueueSignals

CRD = (
    Path(__file__).resolve().parents[3]
    / "operator"
    / "crds"
    / "workerpools.autoscaling.jobplatform.dev.yaml"
)


def declared() -> set[str]:
    doc = yaml.safe_load(CRD.read_text())
    schema = doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return set(schema["properties"]["status"]["properties"]["lastSignals"]["properties"])


def test_the_new_job_count_is_written_only_when_the_counter_is_kept() -> None:
    counted = Observation({"q": QueueSignals(ready=3, fresh_arrivals=(2, 7))})
    without = Observation({"q": QueueSignals(ready=3)})
    written = status.signals(counted, 0.0)
    assert written["freshArrivals"] == 7
    assert "freshArrivals" not in status.signals(without, 0.0)  # unknown is not zero
    assert set(written) <= declared()
