"""behaviour.etaLookaheadSeconds, offeredLoadMargin and burstWatchSeconds: schema, parsing, bad
values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from celery_autoscaler import crd
from celery_autoscaler.policy import PoolSpec
from celery_autoscaler.reconcile import Reconciler

CRDS = Path(__file__).resolve().parents[3] / "operator" / "crds"
CRD = CRDS / "workerpools.autoscaling.jobplatform.dev.yaml"


def behaviour_schema() -> dict[str, Any]:
    doc = yaml.safe_load(CRD.read_text())
    spec = doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    return spec["properties"]["behaviour"]["properties"]


def test_fields_reach_the_policy() -> None:
    spec = {
        "behaviour": {"etaLookaheadSeconds": 12, "offeredLoadMargin": 0.5, "burstWatchSeconds": 4}
    }
    pool = crd.pool_spec(spec)
    assert (pool.eta_lookahead_seconds, pool.offered_load_margin) == (12.0, 0.5)
    assert pool.burst_watch_seconds == 4.0
    assert not pool.problems()
    assert not crd.pool_spec({"behaviour": {"burstWatchSeconds": 0}}).problems()  # off


def test_unset_fields_keep_the_policy_defaults() -> None:
    """An object created before the fields existed (no schema default applied) behaves the
    same as one the API server filled in."""
    pool = crd.pool_spec({"behaviour": {"podStartSeconds": 20}})
    default = PoolSpec()
    assert pool.eta_lookahead_seconds == default.eta_lookahead_seconds
    assert pool.offered_load_margin == default.offered_load_margin
    assert pool.burst_watch_seconds == default.burst_watch_seconds


def test_schema_defaults_and_bounds_match_the_policy() -> None:
    fields = behaviour_schema()
    default = PoolSpec()
    eta, margin = fields["etaLookaheadSeconds"], fields["offeredLoadMargin"]
    assert eta["type"] == margin["type"] == "number"
    assert eta["default"] == default.eta_lookahead_seconds
    assert margin["default"] == default.offered_load_margin
    assert (eta["minimum"], eta["maximum"], margin["minimum"]) == (0, 60, 0)
    # the schema's bounds are the policy's: the edges pass, one step past them does not
    assert not crd.pool_spec({"behaviour": {"etaLookaheadSeconds": 60}}).problems()
    assert crd.pool_spec({"behaviour": {"etaLookaheadSeconds": 60.5}}).problems()
    watch = fields["burstWatchSeconds"]
    assert (watch["type"], watch["minimum"], watch["default"]) == (
        "number",
        0,
        default.burst_watch_seconds,
    )


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        ({"etaLookaheadSeconds": -1}, "behaviour.etaLookaheadSeconds must be between 0 and 60"),
        ({"etaLookaheadSeconds": 90}, "behaviour.etaLookaheadSeconds must be between 0 and 60"),
        ({"offeredLoadMargin": -0.1}, "behaviour.offeredLoadMargin must be >= 0"),
        ({"burstWatchSeconds": -2}, "behaviour.burstWatchSeconds must be >= 0"),
    ],
)
def test_bad_values_become_an_invalid_spec_condition(
    behaviour: dict[str, float], message: str
) -> None:
    """The schema rejects these at admission; an object stored before the schema had them
    (or written with validation off) still meets a condition and one Event, not a crash and
    not a scaling action (the reconciler stops before it touches the Deployment)."""
    body = {
        "metadata": {"namespace": "ns", "name": "pool", "generation": 3},
        "spec": {"deployment": "worker", "queues": ["default"], "behaviour": behaviour},
    }
    outcome = Reconciler(actuator=None, alerts=None).run(body, probe=None, now=100.0)  # type: ignore[arg-type]
    (ready,) = [c for c in outcome.status["conditions"] if c["type"] == "Ready"]
    assert ready["status"] == "False" and ready["reason"] == "InvalidSpec"
    assert message in ready["message"]
    assert outcome.events == [("Warning", "InvalidSpec", ready["message"])]
