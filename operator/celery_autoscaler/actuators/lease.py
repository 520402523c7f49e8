"""The operator's coordination.k8s.io Lease: only its holder reconciles.

One Lease per operator deployment (named like the peering object). Every replica asks
`held()` before a reconcile; the holder renews it at most every `renew_every` seconds, the
others read it and take it over only as `lease_rules.may_hold` allows. Writes carry the
read's resourceVersion, so two replicas racing for a free Lease cannot both win: the loser's
write is refused (409) and it does not act.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from celery_autoscaler.lease_rules import LeaseRecord, Sighting, may_hold, sighted, still_held

log = logging.getLogger("celery_autoscaler.lease")


def _now_utc() -> datetime:
    # The client writes isoformat(), which drops a zero fraction; the API's MicroTime wants
    # six digits. A microsecond never matters here.
    stamp = datetime.now(UTC)
    return stamp if stamp.microsecond else stamp.replace(microsecond=1)


@dataclass
class LeaseKeeper:
    api: client.CoordinationV1Api
    namespace: str
    name: str
    identity: str
    duration_seconds: int = 15
    renew_every: float = 5.0
    clock: Callable[[], float] = time.monotonic
    _renewed_at: float | None = field(default=None, init=False)
    _seen: Sighting | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _said: str = field(default="", init=False)

    def held(self) -> bool:
        """True if this replica holds the Lease now (renewing it when due)."""
        with self._lock:
            now = self.clock()
            if still_held(self._renewed_at, self.renew_every, now):
                return True
            try:
                won = self._claim(now)
            except ApiException as exc:
                won = False
                self._say(f"cannot read or write the Lease: {exc.status} {exc.reason}")
            self._renewed_at = now if won else None
            return won

    def holding(self) -> bool:
        """Whether the last `held()` found this replica the holder, without asking the API:
        the burst watch reads Redis only on the holder, and a standby replica's attempts to
        take the Lease stay at one per due poll."""
        with self._lock:
            return self._renewed_at is not None

    def release(self) -> None:
        """On shutdown: give the Lease up so the next replica need not wait it out."""
        with self._lock:
            if self._renewed_at is None:
                return
            self._renewed_at = None
            try:
                lease = self.api.read_namespaced_lease(self.name, self.namespace)
                if lease.spec is not None and lease.spec.holder_identity == self.identity:
                    lease.spec.holder_identity = None
                    self.api.replace_namespaced_lease(self.name, self.namespace, lease)
            except ApiException:
                pass  # it expires on its own

    def _claim(self, now: float) -> bool:
        try:
            lease = self.api.read_namespaced_lease(self.name, self.namespace)
        except ApiException as exc:
            if exc.status != 404:
                raise
            return self._create()
        spec = lease.spec or client.V1LeaseSpec()
        renewed = spec.renew_time.isoformat() if spec.renew_time else None
        record = LeaseRecord(spec.holder_identity, renewed, float(spec.lease_duration_seconds or 0))
        self._seen = sighted(self._seen, record, now)
        if not may_hold(record, self._seen, self.identity, now):
            self._say(f"the Lease is held by {record.holder}: not acting")
            return False
        stamp = _now_utc()
        if spec.holder_identity != self.identity:
            spec.acquire_time = stamp
            spec.lease_transitions = (spec.lease_transitions or 0) + 1
        spec.holder_identity = self.identity
        spec.renew_time = stamp
        spec.lease_duration_seconds = self.duration_seconds
        lease.spec = spec
        try:
            self.api.replace_namespaced_lease(self.name, self.namespace, lease)
        except ApiException as exc:
            if exc.status == 409:  # another replica wrote first
                return False
            raise
        self._say(f"holding the Lease {self.namespace}/{self.name}: acting")
        return True

    def _create(self) -> bool:
        stamp = _now_utc()
        body = client.V1Lease(
            metadata=client.V1ObjectMeta(name=self.name, namespace=self.namespace),
            spec=client.V1LeaseSpec(
                holder_identity=self.identity,
                lease_duration_seconds=self.duration_seconds,
                acquire_time=stamp,
                renew_time=stamp,
                lease_transitions=0,
            ),
        )
        try:
            self.api.create_namespaced_lease(self.namespace, body)
        except ApiException as exc:
            if exc.status == 409:  # created by another replica meanwhile
                return False
            raise
        self._say(f"holding the Lease {self.namespace}/{self.name}: acting")
        return True

    def _say(self, message: str) -> None:
        """Log each change of state once, not once per poll."""
        if message != self._said:
            self._said = message
            log.info(message)
