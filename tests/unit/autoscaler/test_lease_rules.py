"""Who may act: the Lease rules that close the peering's start-up window."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from celery_autoscaler.lease_rules import LeaseRecord, may_hold, sighted, still_held

HELD = LeaseRecord("replica-a", "2026-01-01T00:00:00+00:00", 15.0)


def test_a_free_or_own_lease_may_be_written_at_once() -> None:
    free = LeaseRecord(None, None, 15.0)
    assert may_hold(free, sighted(None, free, 0.0), "replica-b", 0.0)
    assert may_hold(HELD, sighted(None, HELD, 0.0), "replica-a", 0.0)


def test_a_starting_replica_waits_a_whole_duration_from_its_own_first_sighting() -> None:
    # However old the holder's renewal looks, a replica that just started has seen it for no
    # time at all: it waits the duration on its own clock (no trust in another node's clock).
    seen = sighted(None, HELD, 1000.0)
    assert not may_hold(HELD, seen, "replica-b", 1000.0)
    assert not may_hold(HELD, sighted(seen, HELD, 1014.9), "replica-b", 1014.9)
    assert may_hold(HELD, sighted(seen, HELD, 1015.0), "replica-b", 1015.0)


def test_a_renewal_restarts_the_wait() -> None:
    seen = sighted(None, HELD, 0.0)
    renewed = LeaseRecord("replica-a", "2026-01-01T00:00:05+00:00", 15.0)
    seen = sighted(seen, renewed, 10.0)
    assert not may_hold(renewed, seen, "replica-b", 20.0)
    assert may_hold(renewed, seen, "replica-b", 25.0)


@given(st.lists(st.floats(0.1, 14.9), min_size=1, max_size=50))
def test_a_holder_renewing_within_the_duration_is_never_taken_over(gaps: list[float]) -> None:
    now, seen = 0.0, None
    for i, gap in enumerate(gaps):
        record = LeaseRecord("replica-a", f"renewal-{i}", 15.0)
        seen = sighted(seen, record, now)
        now += gap
        assert not may_hold(record, seen, "replica-b", now)


def test_the_holder_acts_without_asking_only_while_its_renewal_is_fresh() -> None:
    assert not still_held(None, 5.0, 0.0)
    assert still_held(100.0, 5.0, 104.9)
    assert not still_held(100.0, 5.0, 105.0)
