"""Configuration from the environment (``JOBPLATFORM_*``), validated once at start-up.

Every ``JOBPLATFORM_*`` variable the platform reads is a field of ``Settings``: nothing else
reads the environment, and no module passes values to another through it.
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ProcessRole = Literal["web", "worker", "relay", "reconciler", "beat", "migrate", "cli"]


class InvalidSettings(ValueError):
    """A ``JOBPLATFORM_*`` value is not valid; the message names each variable at fault."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JOBPLATFORM_", extra="ignore")

    # Stored with the driver named (see _use_psycopg).
    database_url: str = "postgresql+psycopg://jobplatform@127.0.0.1:5432/jobplatform"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # How long an Idempotency-Key is remembered per tenant.
    idempotency_ttl_seconds: int = Field(default=86_400, gt=0)
    max_body_bytes: int = Field(default=262_144, gt=0)
    # The most jobs one POST /v1/jobs:batch may carry (its body is bounded by max_body_bytes too).
    batch_max_jobs: int = Field(default=500, ge=1, le=10_000)
    # kombu restores an unacked message after this many seconds: it must exceed the longest
    # task (task_time_limit) and the longest retry countdown (RetryPolicy.backoff_max).
    visibility_timeout_seconds: int = Field(default=3_600, gt=0)
    task_time_limit_seconds: int = Field(default=1_800, gt=0)
    soft_shutdown_timeout_seconds: float = Field(default=60.0, ge=0)
    heartbeat_interval_seconds: float = Field(default=5.0, gt=0)
    relay_poll_seconds: float = Field(default=1.0, gt=0)
    # A running job's lease: renewed by its worker every third of it, so it runs out only when
    # the worker is gone; the job is then taken over within about this long.
    lease_seconds: float = Field(default=30.0, gt=0)
    # A worker process writes the outcomes of runs that succeeded this long after the first of
    # them ended, up to outcome_batch_max in one round trip (0: each at once, before its
    # message is acknowledged). Must stay well under lease_seconds.
    outcome_write_delay_seconds: float = Field(default=0.2, ge=0)
    outcome_batch_max: int = Field(default=200, ge=1, le=10_000)
    # The key the relay signs run tickets with and workers check them with (the same on both;
    # at least 32 characters). Unset: no tickets, every run reads its job first.
    run_ticket_key: SecretStr | None = Field(default=None, min_length=32)
    # The reconciler's pass interval and the bounds past which it re-publishes a stalled job.
    reconciler_interval_seconds: float = Field(default=5.0, gt=0)
    reconciler_queued_after_seconds: float = Field(default=300.0, gt=0)
    reconciler_retry_grace_seconds: float = Field(default=60.0, gt=0)
    # Where jobs' tenant events go; the broker's Redis when unset.
    events_redis_url: str | None = None
    prune_schedule_seconds: float = Field(default=3_600.0, gt=0)
    # Finished jobs (with their attempts, outbox messages, dead letters, webhook attempts) are
    # deleted this long after they finished, by a beat sweep every retention_schedule_seconds,
    # retention_batch_rows jobs per transaction.
    job_retention_days: float = Field(default=30.0, gt=0)
    retention_schedule_seconds: float = Field(default=3_600.0, gt=0)
    retention_batch_rows: int = Field(default=1_000, ge=1, le=100_000)
    # Dead letters are kept this long, then pruned by beat this often.
    dead_letter_retention_seconds: float = Field(default=2_592_000.0, gt=0)
    dead_letter_prune_schedule_seconds: float = Field(default=3_600.0, gt=0)
    # API keys revoked or expired longer ago than this are deleted by beat this often (until
    # then `jobplatform keys list` still shows them).
    api_key_retention_seconds: float = Field(default=2_592_000.0, gt=0)
    api_key_prune_schedule_seconds: float = Field(default=3_600.0, gt=0)
    # Audit events: beat recounts each tenant's last audit_open_days days into daily counts
    # every audit_aggregate_schedule_seconds, and compacts (deletes) raw events older than
    # audit_retention_days, once their days are sealed, every audit_compact_schedule_seconds.
    audit_open_days: int = Field(default=2, ge=1, le=366)
    audit_aggregate_schedule_seconds: float = Field(default=3_600.0, gt=0)
    audit_retention_days: int = Field(default=90, ge=1)
    audit_compact_schedule_seconds: float = Field(default=86_400.0, gt=0)
    # Rows a scheduled prune deletes per transaction (it goes on until none is left).
    prune_batch_size: int = Field(default=1_000, ge=1, le=100_000)
    # A standby beat takes over this long after the active one stops renewing its lock.
    beat_lock_timeout_seconds: int = Field(default=25, ge=2)
    # Payload field names masked in every log line, on top of the built-in list.
    sensitive_fields: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # How long the web remembers an API key's tenant: a revoked key is refused within this
    # long. 0 looks every request's key up in the database.
    api_key_cache_seconds: float = Field(default=10.0, ge=0)
    # Connections each process keeps open at most (opened on demand; as many again may be
    # opened and closed at peaks). The web needs one per concurrent request.
    db_pool_size: int = Field(default=20, ge=1, le=200)
    # Check each pooled connection before use; web and workers skip it and rely on retries.
    db_pre_ping: bool = True
    metrics_port: int = Field(default=0, ge=0, le=65535)  # 0: no metrics server
    # Where relay, worker and beat serve /metrics; all interfaces, so Prometheus can scrape a pod.
    metrics_addr: str = "0.0.0.0"
    # Where `jobplatform web` listens.
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Tenant objects (uploads, reports): a directory shared by web and workers (a volume).
    storage_root: str = "/var/lib/jobplatform/storage"
    # Secrets jobs name by reference, one file per secret: <secrets_dir>/<tenant id>/<ref>
    # (a mounted Kubernetes Secret). Read by the worker when a job needs one, never stored.
    secrets_dir: str = "/var/run/secrets/jobplatform"
    # Webhook delivery: the longest wait for a connection, and the cap on an honoured
    # Retry-After (a longer one is cut to it).
    webhook_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    webhook_retry_after_max_seconds: float = Field(default=300.0, ge=0)
    # Webhooks go to public addresses only; these CIDR lists (comma-separated) allow networks
    # that are not public (a loopback receiver in tests) and deny networks that are (the
    # cluster's own ranges when public); a denied network is refused even when allowed.
    webhook_allowed_networks: Annotated[list[str], NoDecode] = Field(default_factory=list)
    webhook_denied_networks: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # PEM file of CA certificates a webhook receiver's certificate may chain to, on top of
    # the system's public CAs (receivers inside an organisation's own PKI). Read by workers.
    webhook_ca_file: str | None = None
    # Email dispatch: the platform's SMTP server. The password is named by reference, a file
    # of the secrets directory (<secrets_dir>/platform/<ref>), read when a message is sent.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password_ref: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    email_from: str = "jobplatform@localhost"
    # CSV import: the largest upload (413 beyond it) and the rows committed per transaction.
    import_max_bytes: int = Field(default=104_857_600, gt=0)
    import_chunk_rows: int = Field(default=1_000, gt=0, le=100_000)
    # An import's upload is deleted when the import is over; beat also deletes, this often,
    # uploads older than the age below that no unfinished import names (orphans).
    upload_cleanup_schedule_seconds: float = Field(default=3_600.0, gt=0)
    upload_orphan_age_seconds: float = Field(default=86_400.0, gt=0)
    # Report generation: rows read per page (one short transaction each).
    report_page_rows: int = Field(default=1_000, gt=0, le=100_000)
    # The process's role, named in every log line; the CLI sets it for the command it runs.
    process: ProcessRole = "cli"

    @field_validator("database_url")
    @classmethod
    def _use_psycopg(cls, url: str) -> str:
        # SQLAlchemy picks psycopg2 for a bare postgresql:// URL; the platform ships psycopg 3.
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url.removeprefix(prefix)
        if not url.startswith("postgresql+psycopg://"):
            raise ValueError("must be a postgresql:// URL")
        return url

    @field_validator(
        "sensitive_fields", "webhook_allowed_networks", "webhook_denied_networks", mode="before"
    )
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("run_ticket_key", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # A chart or a shell sets a variable it has no value for to "": unset, not invalid.
        return None if value == "" else value

    @field_validator("webhook_allowed_networks", "webhook_denied_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(
                    f"{network!r} is not a CIDR network (10.0.0.0/8, fd00::/8)"
                ) from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``environ`` (default: the process environment); see load_settings."""
        if environ is None:
            return load_settings()
        given = {n: environ.get(f"JOBPLATFORM_{n.upper()}") for n in cls.model_fields}
        return load_settings(**{k: v for k, v in given.items() if v is not None})

    @model_validator(mode="after")
    def _visibility_timeout_exceeds_time_limit(self) -> Settings:
        # kombu would redeliver a long task while it still runs.
        if self.visibility_timeout_seconds <= self.task_time_limit_seconds:
            raise ValueError(
                "JOBPLATFORM_VISIBILITY_TIMEOUT_SECONDS must exceed "
                "JOBPLATFORM_TASK_TIME_LIMIT_SECONDS, or a long task is redelivered while it "
                "still runs"
            )
        return self

    @model_validator(mode="after")
    def _outcome_write_delay_within_lease(self) -> Settings:
        # Nothing renews a job's lease once its run returned: an outcome still unwritten when
        # the lease runs out would have the job run again.
        if self.outcome_write_delay_seconds > self.lease_seconds / 3:
            raise ValueError(
                "JOBPLATFORM_OUTCOME_WRITE_DELAY_SECONDS must be at most a third of "
                "JOBPLATFORM_LEASE_SECONDS, or a job whose outcome is not written yet is taken "
                "over and run again"
            )
        return self

    @model_validator(mode="after")
    def _webhook_ca_file_loads(self) -> Settings:
        # Checked where it is used, at start: a worker with an unreadable file would otherwise
        # fail every HTTPS delivery to a private receiver, one retry after another.
        if self.webhook_ca_file and self.process == "worker":
            try:
                ssl.create_default_context().load_verify_locations(cafile=self.webhook_ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise ValueError(
                    f"JOBPLATFORM_WEBHOOK_CA_FILE: cannot load CA certificates from "
                    f"{self.webhook_ca_file}: {exc.strerror or exc}"
                ) from None
        return self

    @model_validator(mode="after")
    def _retention_outlasts_idempotency_keys(self) -> Settings:
        # A replayed Idempotency-Key answers with its job: the job must still be there.
        if self.job_retention_days * 86_400 <= self.idempotency_ttl_seconds:
            raise ValueError(
                "JOBPLATFORM_JOB_RETENTION_DAYS must outlast "
                "JOBPLATFORM_IDEMPOTENCY_TTL_SECONDS, or a replayed key finds its job deleted"
            )
        return self


def env_names() -> set[str]:
    """Every environment variable the platform reads."""
    return {f"JOBPLATFORM_{name.upper()}" for name in Settings.model_fields}


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment; raises InvalidSettings with one line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            name = f"JOBPLATFORM_{field.upper()}: " if field else ""
            problems.append(f"{name}{error['msg'].removeprefix('Value error, ')}")
        raise InvalidSettings("; ".join(problems)) from None


_current: Settings | None = None


def settings() -> Settings:
    """This process's settings, read from the environment on first use."""
    global _current
    if _current is None:
        _current = load_settings()
    return _current


def use_settings(s: Settings) -> Settings:
    """Make ``s`` this process's settings (the CLI does this once, before anything runs)."""
    global _current
    _current = s
    return s
