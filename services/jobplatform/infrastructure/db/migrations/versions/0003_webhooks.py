"""Webhook endpoints per tenant (URL, secret reference, timeout) and each delivery attempt.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The same tenant isolation as every tenant table (see 0001).
POLICY = """
CREATE POLICY tenant_isolation ON {table}
  USING (tenant_id = NULLIF(current_setting('jobplatform.tenant_id', true), '')::uuid
         OR current_setting('jobplatform.scope', true) = 'system')
  WITH CHECK (tenant_id = NULLIF(current_setting('jobplatform.tenant_id', true), '')::uuid
         OR current_setting('jobplatform.scope', true) = 'system')
"""


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("tenant_id", sa.Uuid(), sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("url", sa.String(2048), nullable=False),
        # A reference into the secret store; the secret itself is never in the database.
        sa.Column("secret_ref", sa.String(128), nullable=False),
        sa.Column("timeout_seconds", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("job_id", sa.Uuid(), sa.ForeignKey("jobs.id"), primary_key=True),
        sa.Column("attempt", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("endpoint", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer()),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("error_class", sa.String(200)),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    for table in ("webhook_endpoints", "webhook_attempts"):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(POLICY.format(table=table))


def downgrade() -> None:
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_endpoints")
