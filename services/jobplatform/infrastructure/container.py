"""Builds the adapters once per process (after fork, so no connection crosses processes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

import redis
from redis import Redis
from sqlalchemy import Engine

from jobplatform.application.run_job import JobRunner
from jobplatform.infrastructure.clock import SystemClock
from jobplatform.infrastructure.db.engine import make_engine
from jobplatform.infrastructure.db.health import database_ready
from jobplatform.infrastructure.db.tenant_directory import SqlTenantDirectory
from jobplatform.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from jobplatform.infrastructure.redis.client import make_redis
from jobplatform.infrastructure.redis.event_sink import RedisEventSink
from jobplatform.infrastructure.settings import Settings, settings


@dataclass
class Container:
    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url, pre_ping=self.settings.db_pre_ping)

    @cached_property
    def redis(self) -> redis.Redis[bytes]:
        return make_redis(self.settings.redis_url)

    @cached_property
    def clock(self) -> SystemClock:
        return SystemClock()

    @cached_property
    def uow_factory(self) -> SqlUnitOfWorkFactory:
        return SqlUnitOfWorkFactory(self.engine)

    @cached_property
    def tenants(self) -> SqlTenantDirectory:
        return SqlTenantDirectory(self.engine)

    @cached_property
    def events_redis(self) -> Redis[bytes]:
        url = self.settings.events_redis_url
        return self.redis if url is None else make_redis(url)

    @cached_property
    def runner(self) -> JobRunner:
        return JobRunner(
            self.uow_factory,
            self.clock,
            RedisEventSink(self.events_redis),
            lease=self.lease,
        )

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.settings.lease_seconds)

    @property
    def idempotency_ttl(self) -> timedelta:
        return timedelta(seconds=self.settings.idempotency_ttl_seconds)

    def database_ready(self) -> bool:
        return database_ready(self.engine)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
        if "redis" in self.__dict__:
            self.redis.close()
        if "events_redis" in self.__dict__:
            self.events_redis.close()


_container: Container | None = None


def container() -> Container:
    global _container
    if _container is None:
        _container = Container(settings())
    return _container


def reset_container() -> None:
    """Forget adapters inherited through fork; the child builds its own."""
    global _container
    _container = None
