"""In-memory ports of the outbox relay: the outbox table, a system unit of work, a broker."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from jobplatform.application import ports
from jobplatform.application.records import OutboxMessage, RejectedMessage
from jobplatform.domain.tenant import TenantId


class FakeOutbox(ports.OutboxRepository):
    def __init__(self, rows: Sequence[OutboxMessage]):
        self.rows = list(rows)
        self.published_at: dict[int, datetime] = {}

    def add(self, message: OutboxMessage) -> None:
        self.rows.append(message)

    def claim_unpublished(self, limit: int) -> Sequence[OutboxMessage]:
        waiting = [r for r in self.rows if r.id not in self.published_at]
        return sorted(waiting, key=lambda r: r.created_at)[:limit]

    def mark_published(self, ids: Sequence[int], at: datetime) -> None:
        for i in ids:
            self.published_at[i] = at


class FakeSystemUow(ports.SystemUnitOfWork):
    def __init__(self, outbox: FakeOutbox):
        self.outbox = outbox
        self.commits = self.rollbacks = 0

    def commit(self) -> None:
        self.commits += 1

    def rollback(self) -> None:
        self.rollbacks += 1

    def tenant_ids(self) -> Sequence[TenantId]:
        raise NotImplementedError

    def record_rejected(self, message: RejectedMessage) -> None:
        raise NotImplementedError


class FakeSystemUowFactory(ports.UnitOfWorkFactory):
    """Hands out the one system unit of work; the relay has no business with a tenant's."""

    def __init__(self, outbox: FakeOutbox):
        self.uow = FakeSystemUow(outbox)

    def for_tenant(self, tenant: TenantId) -> ports.UnitOfWork:
        raise AssertionError("the relay opened a tenant's unit of work")

    def system(self) -> FakeSystemUow:
        return self.uow


class FakeBroker(ports.Publisher):
    def __init__(self) -> None:
        self.received: list[OutboxMessage] = []
        self.down_after: int | None = None  # accept this many more, then fail

    def publish(self, message: OutboxMessage) -> None:
        if self.down_after is not None:
            if self.down_after == 0:
                raise ports.PublishError(str(message.job_id)) from ConnectionError("refused")
            self.down_after -= 1
        self.received.append(message)
