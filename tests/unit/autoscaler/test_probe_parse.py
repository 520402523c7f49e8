"""The probe's reply parsing: sampled unacked counts scale to the hash, workers by state."""

from celery_autoscaler.policy import Observation, QueueSignals
from celery_autoscaler.signals import parse


def test_unacked_groups_exact_and_sampled() -> None:
    exact, estimated = parse.unacked_groups(
        [10, 10, b"q\x002099-01-01T00:00:00+00:00\x001", 4, b"q\x00\x000", 6]
    )
    assert not estimated
    assert exact[0][0] == "q" and exact[0][1] is not None and exact[0][2] and exact[0][3] == 4
    assert exact[1] == ("q", None, False, 6)
    sampled, estimated = parse.unacked_groups([1000, 10, b"q\x00\x000", 10])
    assert estimated and sampled[0][3] == 1000


def test_workers_busy_by_state_or_active_count() -> None:
    reply = [
        b"a@p1",
        b"q1,q2",
        b"busy",
        b"2",
        b"b@p2",
        b"q1",
        b"idle",
        b"0",
        b"c@p3",
        b"",
        b"",
        b"0",
    ]
    assert parse.workers(reply) == [
        ("a@p1", ("q1", "q2"), 2),
        ("b@p2", ("q1",), 0),
        ("c@p3", (), 0),
    ]


def test_published_at_tolerates_foreign_messages() -> None:
    assert parse.published_at(b'{"headers": {"published_at": 12.5}}') == 12.5
    assert parse.published_at(b'{"headers": {}}') is None
    assert parse.published_at(b"not json") is None
    assert parse.eta_epoch("garbage") is None


def test_new_job_counts_per_queue_and_the_busiest_second_over_queues() -> None:
    assert parse.fresh_arrivals([3, 0]) == (3, 0)
    assert parse.fresh_arrivals(-1) is None  # the queue has no counter
    queues = {
        "a": QueueSignals(fresh_arrivals=(2, 4)),
        "b": QueueSignals(fresh_arrivals=(3, 0)),
        "c": QueueSignals(fresh_arrivals=None),
    }
    assert Observation(queues).fresh_arrivals_per_second == 5  # second by second: 5, then 4
    assert Observation({"c": QueueSignals()}).fresh_arrivals_per_second is None
