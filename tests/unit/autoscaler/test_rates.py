"""Rates from counter deltas: arrivals include backlog growth, resets give no rate."""

from celery_autoscaler.policy.rates import Counters, rates_between


def test_rates_and_service_time() -> None:
    before = Counters(at=100, succeeded=10, retried=0, failed=0, backlog=20)
    after = Counters(at=110, succeeded=50, retried=10, failed=0, backlog=40)
    r = rates_between(before, after, busy_slots=12)
    assert (r.succeeded, r.retried) == (4.0, 1.0)
    assert r.arrival == 7.0  # 5 completed/s + 2/s of backlog growth
    assert r.service_seconds == 12 / 5


def test_counter_reset_and_first_poll_give_no_rate() -> None:
    after = Counters(at=110, succeeded=3)
    assert rates_between(None, after, 1).arrival == 0
    assert rates_between(Counters(at=100, succeeded=50), after, 1).succeeded == 0
