"""Configuration from the environment (``JOBPLATFORM_*``), validated once at start-up."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field, ValidationError


class Settings(BaseModel):
    database_url: str = "postgresql://jobplatform@127.0.0.1:5432/jobplatform"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # How long an Idempotency-Key is remembered per tenant.
    idempotency_ttl_seconds: int = Field(default=86_400, gt=0)
    max_body_bytes: int = Field(default=262_144, gt=0)
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
    # The reconciler's pass interval and the bounds past which it re-publishes a stalled job.
    reconciler_interval_seconds: float = Field(default=5.0, gt=0)
    reconciler_queued_after_seconds: float = Field(default=300.0, gt=0)
    reconciler_retry_grace_seconds: float = Field(default=60.0, gt=0)
    # Where jobs' tenant events go; the broker's Redis when unset.
    events_redis_url: str | None = None
    prune_schedule_seconds: float = Field(default=3_600.0, gt=0)
    # A standby beat takes over this long after the active one stops renewing its lock.
    beat_lock_timeout_seconds: int = Field(default=25, ge=2)
    # Payload field names masked in every log line, on top of the built-in list.
    sensitive_fields: list[str] = Field(default_factory=list)
    log_level: str = "INFO"
    # Check each pooled connection before use (web); workers skip it and rely on retries.
    db_pre_ping: bool = True
    metrics_port: int = Field(default=0, ge=0, le=65535)  # 0: no metrics server

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        raw: dict[str, object] = {}
        for name in cls.model_fields:
            value = env.get(f"JOBPLATFORM_{name.upper()}")
            if value is None:
                continue
            raw[name] = (
                [v.strip() for v in value.split(",") if v.strip()]
                if name == "sensitive_fields"
                else value
            )
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise SystemExit(f"invalid JOBPLATFORM_* configuration:\n{exc}") from None


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()
