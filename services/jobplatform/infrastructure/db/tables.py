"""The schema, as SQLAlchemy Core tables. Alembic migrations create it; this file mirrors it."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()
Json = JSON().with_variant(JSONB(), "postgresql")

tenants = Table(
    "tenants",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # The tenant's own retention of finished jobs; NULL: JOBPLATFORM_JOB_RETENTION_DAYS.
    Column("job_retention_days", Integer),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("digest", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("expires_at", DateTime(timezone=True)),
    Index("ix_api_keys_tenant", "tenant_id"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("type", String(100), nullable=False),
    Column("queue", String(50), nullable=False),
    Column("payload", Json, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("attempts_before_series", Integer, nullable=False),
    Column("request_id", String(128)),
    Column("error_class", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("lease_owner", String(255)),
    Column("lease_expires_at", DateTime(timezone=True)),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("dispatched_at", DateTime(timezone=True), nullable=False),
    Column("redispatches", Integer, nullable=False, server_default="0"),
    Index("ix_jobs_tenant_created", "tenant_id", "created_at", "id"),
    Index("ix_jobs_tenant_status_created", "tenant_id", "status", "created_at", "id"),
    Index(
        "ix_jobs_finished",
        "finished_at",
        postgresql_where=text("status IN ('succeeded', 'failed', 'dead')"),
    ),
    Index(
        "ix_jobs_in_flight",
        "status",
        "dispatched_at",
        postgresql_where=text("status IN ('queued', 'running', 'retrying')"),
    ),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("job_id", Uuid, ForeignKey("jobs.id"), nullable=False),
    Column("tenant_id", Uuid, nullable=False),
    Column("job_type", String(100), nullable=False),
    Column("queue", String(50), nullable=False),
    Column("request_id", String(128)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True)),
    Column("not_before", DateTime(timezone=True)),
    Index("ix_outbox_unpublished", "id", postgresql_where="published_at IS NULL"),
    Index("ix_outbox_job", "job_id"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("job_id", Uuid, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

effect_ledger = Table(
    "effect_ledger",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("job_id", Uuid, primary_key=True),
    Column("effect_key", String(200), primary_key=True),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
)

job_attempts = Table(
    "job_attempts",
    metadata,
    Column("job_id", Uuid, ForeignKey("jobs.id"), primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("error_class", String(200)),
    Column("retry_delay", Float),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("job_id", Uuid, ForeignKey("jobs.id"), nullable=False),
    Column("job_type", String(100), nullable=False),
    Column("reason", String(100), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("error_class", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("replayed_at", DateTime(timezone=True)),
    Index("ix_dead_letters_tenant_created", "tenant_id", "created_at"),
    Index("ix_dead_letters_job", "job_id"),
)

rejected_messages = Table(
    "rejected_messages",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("task_name", String(200), nullable=False),
    Column("job_id", String(64)),
    Column("reason", Text, nullable=False),
    Column("headers", Json, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("url", String(2048), nullable=False),
    Column("secret_ref", String(128), nullable=False),
    Column("timeout_seconds", Float, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("job_id", Uuid, ForeignKey("jobs.id"), primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("endpoint", String(64), nullable=False),
    Column("status", Integer),
    Column("latency_ms", Float, nullable=False),
    Column("error_class", String(200)),
    Column("at", DateTime(timezone=True), nullable=False),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("action", String(100), nullable=False),
    Column("actor", String(200)),
    Column("subject", String(200)),
    Column("request_id", String(128)),
    Column("data", Json, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Index("ix_audit_events_tenant_occurred", "tenant_id", "occurred_at"),
)

audit_daily = Table(
    "audit_daily",
    metadata,
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("action", String(100), primary_key=True),
    Column("count", BigInteger, nullable=False),
)

audit_days = Table(
    "audit_days",
    metadata,
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("sealed_at", DateTime(timezone=True)),
)

contacts = Table(
    "contacts",
    metadata,
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), primary_key=True),
    Column("external_id", String(100), primary_key=True),
    Column("email", String(254), nullable=False),
    Column("name", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

import_progress = Table(
    "import_progress",
    metadata,
    Column("job_id", Uuid, ForeignKey("jobs.id"), primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("rows_total", Integer, nullable=False),
    Column("rows_done", Integer, nullable=False),
    Column("rows_rejected", Integer, nullable=False),
    Column("rows_changed", Integer, nullable=False),
    Column("error_report", String(300)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
