"""kopf wiring only: a timer per WorkerPool delegates to Reconciler; startup sets peering, the
Lease and the metrics endpoint. Everything that decides or talks to Redis lives elsewhere."""

from __future__ import annotations

import logging
import os
import random
import socket
import time
from typing import Any

import kopf
from kubernetes import client, config
from prometheus_client import start_http_server

from celery_autoscaler import crd, metrics
from celery_autoscaler.actuators.kubernetes import KubernetesActuator
from celery_autoscaler.actuators.lease import LeaseKeeper
from celery_autoscaler.alerts.kubernetes_sink import QueueAlertSink
from celery_autoscaler.policy import WATCH, PollClock
from celery_autoscaler.reconcile import Reconciler, config_error
from celery_autoscaler.signals.connect import connect
from celery_autoscaler.signals.counter_batch import CounterBatch
from celery_autoscaler.signals.probe import RedisProbe

TICK = 2.0  # the timer fires this often; each pool is polled every spec.pollIntervalSeconds
# and watched every behaviour.burstWatchSeconds (a watch interval below TICK acts as TICK)
_state: dict[str, Reconciler] = {}
# The burst watch's reads: one per Redis (namespace and redis section) per half second, shared
# by the pools on it, however many there are.
_counters = CounterBatch()
_lease: dict[str, LeaseKeeper] = {}


def _lease_keeper(api: client.ApiClient, name: str) -> LeaseKeeper:
    """Peering alone leaves a window: a replica acts until it has seen a higher peer. The
    Lease is taken before any reconcile, so a starting replica waits for the holder's Lease
    to lapse (or be released) instead."""
    served = [n for n in os.environ.get("OPERATOR_NAMESPACES", "").split(",") if n]
    namespace = os.environ.get("OPERATOR_LEASE_NAMESPACE") or (served[0] if served else "default")
    identity = os.environ.get("POD_ID") or f"{socket.gethostname()}-{os.getpid()}"
    return LeaseKeeper(client.CoordinationV1Api(api), namespace, name, identity)


@kopf.on.login()
def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
    """In-cluster ServiceAccount first, else the kubeconfig KUBECONFIG names now (kopf's
    client-library login would read a path fixed when the library was imported)."""
    info: kopf.ConnectionInfo | None = kopf.login_with_service_account(**kwargs)
    return info or kopf.login_with_kubeconfig(**kwargs)


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    # Peering: of several operator replicas only the highest priority acts; a random priority
    # breaks ties (kopf pauses every operator of an equal top priority). `--priority` and
    # `--peering` on the command line win over the defaults here.
    if settings.peering.name == "default":
        settings.peering.name = os.environ.get("OPERATOR_PEERING", "jobplatform-operator")
    if settings.peering.priority == 0:
        settings.peering.priority = int(
            os.environ.get("OPERATOR_PRIORITY", random.randint(1, 10000))
        )
    if not settings.peering.standalone:
        settings.peering.mandatory = True  # without the peering CRD, wait rather than race
    # Only our own Events (kopf.info/warn, once per transition) and kopf's warnings: a timer
    # logging success every poll must not become an Event every poll.
    settings.posting.level = logging.WARNING
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(
        prefix="autoscaling.jobplatform.dev"
    )
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix="autoscaling.jobplatform.dev"
    )
    try:
        config.load_incluster_config()  # type: ignore[no-untyped-call]
    except config.ConfigException:
        # The client reads KUBECONFIG once at import; read it now, as kopf does.
        config.load_kube_config(config_file=os.environ.get("KUBECONFIG"))  # type: ignore[no-untyped-call]
    api = client.ApiClient()
    actuator = KubernetesActuator(
        client.AppsV1Api(api),
        client.CoreV1Api(api),
        client.AutoscalingV2Api(api),
        client.CustomObjectsApi(api),
    )
    _state["reconciler"] = Reconciler(actuator, QueueAlertSink(client.CustomObjectsApi(api)))
    if not settings.peering.standalone:
        _lease["keeper"] = _lease_keeper(api, settings.peering.name)
    port = os.environ.get("OPERATOR_METRICS_PORT")
    if port:
        start_http_server(int(port))


def _probe(body: kopf.Body, memo: kopf.Memo, actuator: KubernetesActuator) -> RedisProbe:
    """One probe per pool, rebuilt when the pool's Redis section or queues change."""
    spec, ns = body["spec"], body["metadata"]["namespace"]
    key = repr((spec.get("redis"), spec.get("queues"), spec.get("celery")))
    if getattr(memo, "probe_key", None) != key:
        ref = spec["redis"]["secretRef"]

        def read(field: str) -> str | None:
            return actuator.secret_value(ns, ref["name"], field) if field else None

        section = dict(spec["redis"])
        redis_client = connect(
            section,
            read(ref.get("urlKey", "url")),
            read(ref.get("usernameKey", "")),
            read(ref.get("passwordKey", "")),
        )
        memo.probe = RedisProbe(redis_client, crd.layout(spec))
        memo.probe_key = key
    probe: RedisProbe = memo.probe
    return probe


@kopf.on.cleanup()
def release_lease(**_: Any) -> None:
    keeper = _lease.get("keeper")
    if keeper is not None:
        keeper.release()


@kopf.timer(crd.GROUP, crd.VERSION, "workerpools", interval=TICK, initial_delay=1.0)
def reconcile_pool(
    body: kopf.Body, memo: kopf.Memo, patch: kopf.Patch, logger: kopf.Logger, **_: Any
) -> None:
    """Every tick: the full poll when the pool's interval is up, else the burst watch (only
    the new-job counters, behaviour.burstWatchSeconds), which runs the same full poll at once
    when it sees a burst. Peering pauses this handler on every replica but the active one; the
    Lease is checked before either read, so a standby replica reads nothing."""
    now = time.time()
    keeper = _lease.get("keeper")
    clock: PollClock = getattr(memo, "clock", None) or PollClock()
    memo.clock = clock
    reconciler = _state["reconciler"]
    spec = crd.pool_spec(body["spec"], body["metadata"].get("annotations"))

    def read_counts() -> list[tuple[int, ...] | None] | None:
        if keeper is not None and not (keeper.holding() and keeper.held()):
            return None  # a standby replica reads nothing; its due poll asks for the Lease
        probe = getattr(memo, "probe", None)
        if probe is None or getattr(memo, "probe_key", None) is None:
            return None  # no probe built yet or its Redis section failed: the poll will say
        redis_id = (body["metadata"]["namespace"], repr(body["spec"].get("redis")))
        before = _counters.reads
        counts = _counters.counts(redis_id, probe.client, probe.layout.queues, now)
        metrics.WATCH_READS.inc(_counters.reads - before)
        return counts

    why = clock.due(spec, crd.poll_interval(body["spec"]), now, read_counts, slack=TICK / 4)
    if why is None:
        return
    if keeper is not None and not keeper.held():
        return  # another replica holds the Lease: it reconciles this pool
    started = time.perf_counter()
    try:
        probe = _probe(body, memo, reconciler.actuator)
    except Exception as exc:  # a missing Secret or a bad URL: a condition, not a crash loop
        memo.probe_key = None
        outcome = config_error(dict(body), f"{type(exc).__name__}: {exc}", now)
    else:
        outcome = reconciler.run(dict(body), probe, now)
    clock.polled(now, outcome.observation, outcome.replicas, why)
    if why == WATCH:
        metrics.WATCH_POLLS.inc()
    patch.status.update(outcome.status)
    for kind, reason, message in outcome.events:
        (kopf.warn if kind == "Warning" else kopf.info)(body, reason=reason, message=message)
    metrics.RECONCILE_SECONDS.observe(time.perf_counter() - started)
    logger.debug("reconciled (%s)", why)
