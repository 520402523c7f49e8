"""relay_once on in-memory ports: what it publishes, marks, and leaves for the next pass."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobplatform.application.ports import PublishedBatch, PublishError
from jobplatform.application.records import OutboxMessage
from jobplatform.application.relay_outbox import RelayPass, relay_once
from jobplatform.domain.tenant import TenantId
from unit.fakes import FakeClock
from unit.outbox_fakes import FakeBroker, FakeOutbox, FakeSystemUowFactory

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def rows(n: int) -> list[OutboxMessage]:
    # Stored newest first, so "oldest first" is the relay's doing, not the list's order.
    return [
        OutboxMessage(
            id=i,
            job_id=uuid.uuid4(),
            tenant_id=TenantId(uuid.uuid4()),
            job_type="noop",
            queue="default",
            request_id=f"req-{i}",
            created_at=T0 + timedelta(seconds=i),
        )
        for i in reversed(range(1, n + 1))
    ]


def test_every_waiting_row_is_published_oldest_first_and_marked() -> None:
    outbox, broker, clock = FakeOutbox(rows(3)), FakeBroker(), FakeClock()
    factory = FakeSystemUowFactory(outbox)

    result = relay_once(factory, broker, clock)

    assert result == RelayPass(published=3, broker_down=False)
    assert [m.id for m in broker.received] == [1, 2, 3]
    assert set(outbox.published_at) == {1, 2, 3}
    assert set(outbox.published_at.values()) == {clock.t}
    assert factory.uow.commits == 1


def test_a_broker_failure_stops_the_pass_and_leaves_the_rest_for_later() -> None:
    outbox, broker, clock = FakeOutbox(rows(4)), FakeBroker(), FakeClock()
    factory = FakeSystemUowFactory(outbox)
    broker.down_after = 2

    first = relay_once(factory, broker, clock)

    assert first == RelayPass(published=2, broker_down=True)
    assert set(outbox.published_at) == {1, 2}  # only what the broker took is marked
    assert factory.uow.commits == 1  # the marks are kept, not rolled back with the failure

    broker.down_after = None  # the broker is back: nothing was lost
    second = relay_once(factory, broker, clock)
    assert second == RelayPass(published=2, broker_down=False)
    assert [m.id for m in broker.received] == [1, 2, 3, 4]


def test_nothing_waiting_publishes_nothing() -> None:
    outbox, broker = FakeOutbox([]), FakeBroker()
    factory = FakeSystemUowFactory(outbox)
    assert relay_once(factory, broker, FakeClock()) == RelayPass(published=0, broker_down=False)
    assert broker.received == [] and outbox.published_at == {}


@given(n=st.integers(0, 30), batch=st.integers(1, 10))
def test_a_pass_publishes_at_most_one_batch(n: int, batch: int) -> None:
    outbox, broker = FakeOutbox(rows(n)), FakeBroker()
    result = relay_once(FakeSystemUowFactory(outbox), broker, FakeClock(), batch_size=batch)
    assert result.published == min(n, batch) == len(outbox.published_at)


def test_a_publish_error_is_the_only_failure_it_absorbs() -> None:
    # Anything but PublishError (a bug, a broken database) propagates and commits nothing.
    class Broken(FakeBroker):
        def publish(self, message: OutboxMessage) -> None:
            raise RuntimeError("bug")

    outbox = FakeOutbox(rows(2))
    factory = FakeSystemUowFactory(outbox)
    with pytest.raises(RuntimeError):
        relay_once(factory, Broken(), FakeClock())
    assert factory.uow.commits == 0 and factory.uow.rollbacks == 1
    assert outbox.published_at == {}


class AllOrNoneBroker(FakeBroker):
    """A broker that takes a batch in one go: on a failure, some of it may have been taken,
    so it reports none (as the Redis pipeline does)."""

    def publish_batch(self, messages: Sequence[OutboxMessage]) -> PublishedBatch:
        if self.down_after is not None and self.down_after < len(messages):
            self.received.extend(messages[: self.down_after])  # taken before the failure
            self.down_after = 0
            return PublishedBatch(0, PublishError(str(messages[0].job_id)))
        self.received.extend(messages)
        return PublishedBatch(len(messages), None)


def test_a_failed_batch_is_published_again_whole_and_no_more_than_it() -> None:
    outbox, broker, clock = FakeOutbox(rows(5)), AllOrNoneBroker(), FakeClock()
    factory = FakeSystemUowFactory(outbox)
    broker.down_after = 2

    first = relay_once(factory, broker, clock, batch_size=3)
    assert first == RelayPass(published=0, broker_down=True)
    assert outbox.published_at == {}  # nothing marked: the batch waits for the next pass

    broker.down_after = None
    while relay_once(factory, broker, clock, batch_size=3).published:
        pass
    assert set(outbox.published_at) == {1, 2, 3, 4, 5}
    ids = [m.id for m in broker.received]
    twice = {i for i in ids if ids.count(i) > 1}
    assert twice == {1, 2}  # only what the failed batch got through, again
