"""The adapters of one process, built lazily on first use (after fork, so no connection
crosses processes). Made by ``infrastructure.bootstrap``, the one composition root."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import redis
from redis import Redis
from sqlalchemy import Engine

from jobplatform.application.job_services import JobServices
from jobplatform.application.key_cache import KeyCache
from jobplatform.application.ports import JobIntake
from jobplatform.application.run_job import JobRunner
from jobplatform.domain.webhook_destinations import DestinationPolicy
from jobplatform.infrastructure.celery.run_tickets import RunTickets
from jobplatform.infrastructure.clock import SystemClock
from jobplatform.infrastructure.db.engine import make_engine
from jobplatform.infrastructure.db.health import database_ready
from jobplatform.infrastructure.db.job_intake import open_job_intake
from jobplatform.infrastructure.db.tenant_directory import SqlTenantDirectory
from jobplatform.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from jobplatform.infrastructure.mail.smtp_mailer import SmtpConfig, SmtpMailer
from jobplatform.infrastructure.outcome_writer import OutcomeWriter
from jobplatform.infrastructure.redis.client import make_redis
from jobplatform.infrastructure.redis.event_sink import RedisEventSink
from jobplatform.infrastructure.redis.fresh_arrivals import RedisFreshArrivals
from jobplatform.infrastructure.redis.heartbeat import HeartbeatThread, WorkerState
from jobplatform.infrastructure.redis.queue_stats import RedisQueueStats
from jobplatform.infrastructure.secrets.file_secrets import FileSecretStore
from jobplatform.infrastructure.settings import Settings
from jobplatform.infrastructure.storage.local_fs import LocalFileStorage
from jobplatform.infrastructure.webhooks.destination_check import ResolvingDestinationCheck
from jobplatform.infrastructure.webhooks.guarded_backend import GuardedNetworkBackend
from jobplatform.infrastructure.webhooks.httpx_sender import HttpxWebhookSender
from jobplatform.infrastructure.webhooks.resolver import resolve
from jobplatform.infrastructure.webhooks.tls import webhook_ssl_context

if TYPE_CHECKING:
    from jobplatform.infrastructure.celery.app import PlatformCelery


@dataclass
class Container:
    settings: Settings
    # The process's Celery app; bootstrap sets it (the app holds this container in turn).
    celery: PlatformCelery = field(init=False, repr=False, compare=False)
    # A worker's pool process: writes succeeded outcomes behind its runs (OutcomeWriter) and
    # keeps a connection per thread for the statements every job runs.
    pool_process: bool = False

    @cached_property
    def engine(self) -> Engine:
        return make_engine(
            self.settings.database_url,
            pool_size=self.settings.db_pool_size,
            pre_ping=self.settings.db_pre_ping,
        )

    @cached_property
    def redis(self) -> redis.Redis[bytes]:
        return make_redis(self.settings.redis_url)

    @cached_property
    def clock(self) -> SystemClock:
        return SystemClock()

    @cached_property
    def uow_factory(self) -> SqlUnitOfWorkFactory:
        return SqlUnitOfWorkFactory(self.engine, hold_connections=self.pool_process)

    def job_intake(self) -> AbstractAsyncContextManager[JobIntake]:
        """The asyncio submit path, entered on the event loop that serves it (its connections
        belong to that loop), up to db_pool_size connections."""
        return open_job_intake(self.settings.database_url, self.settings.db_pool_size)

    @cached_property
    def tenants(self) -> SqlTenantDirectory:
        return SqlTenantDirectory(self.engine)

    @cached_property
    def key_cache(self) -> KeyCache:
        return KeyCache(self.tenants, self.settings.api_key_cache_seconds)

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
            services=self.job_services,
            deferred=self.outcome_writer,
        )

    @cached_property
    def outcome_writer(self) -> OutcomeWriter | None:
        s = self.settings
        if not self.pool_process or s.outcome_write_delay_seconds == 0:
            return None
        return OutcomeWriter(self.uow_factory, s.outcome_write_delay_seconds, s.outcome_batch_max)

    @cached_property
    def run_tickets(self) -> RunTickets | None:
        """How the relay signs run tickets and workers check them; None without a key."""
        s = self.settings
        if s.run_ticket_key is None:
            return None
        return RunTickets(
            s.run_ticket_key.get_secret_value().encode(),
            # Halfway to the reconciler's queued bound (see run_tickets.py).
            timedelta(seconds=s.reconciler_queued_after_seconds / 2),
        )

    @cached_property
    def job_services(self) -> JobServices:
        s = self.settings
        secrets = FileSecretStore(Path(s.secrets_dir))
        smtp = SmtpConfig(
            host=s.smtp_host,
            port=s.smtp_port,
            sender=s.email_from,
            timeout_seconds=s.smtp_timeout_seconds,
            starttls=s.smtp_starttls,
            username=s.smtp_username,
            password_ref=s.smtp_password_ref,
        )
        return JobServices(
            storage=self.storage,
            secrets=secrets,
            webhooks=HttpxWebhookSender(
                s.webhook_connect_timeout_seconds,
                s.webhook_retry_after_max_seconds,
                GuardedNetworkBackend(self.webhook_policy, resolve),
                webhook_ssl_context(s.webhook_ca_file),
            ),
            mailer=SmtpMailer(smtp, secrets),
            import_chunk_rows=s.import_chunk_rows,
            report_page_rows=s.report_page_rows,
            upload_orphan_age_seconds=s.upload_orphan_age_seconds,
            prune_batch_size=s.prune_batch_size,
            dead_letter_retention_seconds=s.dead_letter_retention_seconds,
            api_key_retention_seconds=s.api_key_retention_seconds,
            audit_open_days=s.audit_open_days,
            audit_retention_days=s.audit_retention_days,
        )

    @cached_property
    def webhook_policy(self) -> DestinationPolicy:
        return DestinationPolicy.of(
            allowed=self.settings.webhook_allowed_networks,
            denied=self.settings.webhook_denied_networks,
        )

    @cached_property
    def webhook_destinations(self) -> ResolvingDestinationCheck:
        return ResolvingDestinationCheck(self.webhook_policy, resolve)

    @cached_property
    def storage(self) -> LocalFileStorage:
        return LocalFileStorage(Path(self.settings.storage_root))

    @cached_property
    def queue_stats(self) -> RedisQueueStats:
        return RedisQueueStats(self.redis)

    @cached_property
    def fresh_arrivals(self) -> RedisFreshArrivals:
        """The relay's per-second count of newly published jobs, read by the autoscaler."""
        return RedisFreshArrivals(self.redis)

    def heartbeat(
        self,
        hostname: str,
        queues: list[str],
        concurrency: int,
        active_and_reserved: Callable[[], tuple[int, int]],
    ) -> HeartbeatThread:
        """The worker's heartbeat thread (not started), read by the autoscaling operator."""

        def state() -> WorkerState:
            active, reserved = active_and_reserved()
            return WorkerState(active=active, reserved=reserved)

        return HeartbeatThread(
            self.redis,
            hostname,
            queues,
            concurrency,
            state,
            self.settings.heartbeat_interval_seconds,
        )

    def for_child(self) -> Container:
        """The same wiring with fresh adapters, for a forked child: the parent's pools and
        sockets are left to the parent."""
        child = Container(self.settings, pool_process=True)
        if "celery" in self.__dict__:
            child.celery = self.celery
        return child

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.settings.lease_seconds)

    @property
    def idempotency_ttl(self) -> timedelta:
        return timedelta(seconds=self.settings.idempotency_ttl_seconds)

    def database_ready(self) -> bool:
        return database_ready(self.engine)

    def close(self) -> None:
        if self.__dict__.get("outcome_writer") is not None:
            self.outcome_writer.close()  # type: ignore[union-attr]
        if "engine" in self.__dict__:
            self.engine.dispose()
        if "redis" in self.__dict__:
            self.redis.close()
        if "events_redis" in self.__dict__:
            self.events_redis.close()
