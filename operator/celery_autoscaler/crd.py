"""A WorkerPool object (as the API returns it) -> the policy's spec and the probe's layout.

Pure: no kopf, no kubernetes client. Fields the schema defaults are read with the same
defaults here, so an object created before a default existed behaves the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from celery_autoscaler.policy.spec import Behaviour, PoolSpec
from celery_autoscaler.signals.layout import Layout

GROUP = "autoscaling.jobplatform.dev"
VERSION = "v1alpha1"
PAUSED_ANNOTATION = f"{GROUP}/paused"

_DEFAULT = PoolSpec()


def _behaviour(raw: Mapping[str, Any] | None, default: Behaviour) -> Behaviour:
    raw = raw or {}
    return Behaviour(
        stabilisation_seconds=float(
            raw.get("stabilisationWindowSeconds", default.stabilisation_seconds)
        ),
        pods=int(raw.get("pods", default.pods)),
        percent=int(raw.get("percent", default.percent)),
        period_seconds=float(raw.get("periodSeconds", default.period_seconds)),
    )


def pool_spec(spec: Mapping[str, Any], annotations: Mapping[str, str] | None = None) -> PoolSpec:
    targets = spec.get("targets") or {}
    behaviour = spec.get("behaviour") or {}
    storm = spec.get("retryStorm") or {}
    fallback = (spec.get("fallback") or {}).get("replicas")
    paused = (annotations or {}).get(PAUSED_ANNOTATION, "").lower() in ("true", "1", "yes")
    return PoolSpec(
        min_replicas=int(spec.get("minReplicas", 0)),
        max_replicas=int(spec.get("maxReplicas", _DEFAULT.max_replicas)),
        backlog_per_replica=float(targets.get("backlogPerReplica", _DEFAULT.backlog_per_replica)),
        max_wait_seconds=float(targets.get("maxWaitSeconds", _DEFAULT.max_wait_seconds)),
        concurrency=int(targets.get("concurrency", _DEFAULT.concurrency)),
        scale_up=_behaviour(behaviour.get("scaleUp"), _DEFAULT.scale_up),
        scale_down=_behaviour(behaviour.get("scaleDown"), _DEFAULT.scale_down),
        cooldown_to_zero_seconds=float(
            behaviour.get("cooldownToZeroSeconds", _DEFAULT.cooldown_to_zero_seconds)
        ),
        pod_start_seconds=float(behaviour.get("podStartSeconds", _DEFAULT.pod_start_seconds)),
        eta_lookahead_seconds=float(
            behaviour.get("etaLookaheadSeconds", _DEFAULT.eta_lookahead_seconds)
        ),
        offered_load_margin=float(behaviour.get("offeredLoadMargin", _DEFAULT.offered_load_margin)),
        burst_watch_seconds=float(behaviour.get("burstWatchSeconds", _DEFAULT.burst_watch_seconds)),
        fallback_replicas=int(fallback) if fallback is not None else None,
        retry_storm_ratio=float(storm.get("ratio", _DEFAULT.retry_storm_ratio)),
        retry_storm_min_rate=float(storm.get("minRate", _DEFAULT.retry_storm_min_rate)),
        hold_scale_up_on_retry_storm=bool(storm.get("holdScaleUp", False)),
        paused=paused,
    )


def layout(spec: Mapping[str, Any]) -> Layout:
    celery = spec.get("celery") or {}
    return Layout(
        queues=tuple(spec.get("queues") or ()),
        priority_steps=tuple(int(s) for s in celery.get("prioritySteps", (0, 3, 6, 9))),
        key_prefix=str(celery.get("keyPrefix", "")),
    )


def poll_interval(spec: Mapping[str, Any]) -> float:
    return float(spec.get("pollIntervalSeconds", 10))


def alert_retention(spec: Mapping[str, Any]) -> float:
    return float((spec.get("alerts") or {}).get("resolvedRetentionSeconds", 86400))
