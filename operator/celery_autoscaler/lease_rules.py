"""Who may act: the rules of the operator's coordination Lease, without any client.

kopf's peering leaves a window: a replica that starts before it has seen a higher-priority
peer acts until it does. The Lease closes it: a replica acts only while it holds the Lease,
and it takes the Lease only when nobody holds it or the holder has not renewed it for a
whole lease duration. Expiry is judged as client-go's leader election does: by the local time
since this replica first saw the holder's current record, not by the holder's clock, so clock
skew between nodes cannot make two replicas hold it at once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LeaseRecord:
    """What the Lease says: its holder and the holder's last renewal (opaque to us)."""

    holder: str | None
    renewed: str | None
    duration_seconds: float


@dataclass(frozen=True, slots=True)
class Sighting:
    """A record as this replica saw it, and the local time it first saw it unchanged."""

    holder: str | None
    renewed: str | None
    since: float


def sighted(previous: Sighting | None, record: LeaseRecord, now: float) -> Sighting:
    if (
        previous is not None
        and previous.holder == record.holder
        and previous.renewed == record.renewed
    ):
        return previous
    return Sighting(record.holder, record.renewed, now)


def may_hold(record: LeaseRecord, seen: Sighting, me: str, now: float) -> bool:
    """Whether `me` may write itself into the Lease now (renew it or take it over)."""
    if not record.holder or record.holder == me:
        return True
    return now - seen.since >= record.duration_seconds


def still_held(renewed_at: float | None, renew_every: float, now: float) -> bool:
    """Act without asking the API only while the last renewal is fresh: well inside the
    duration the others wait before they take the Lease over."""
    return renewed_at is not None and now - renewed_at < renew_every
