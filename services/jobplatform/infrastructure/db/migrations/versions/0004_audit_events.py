"""Audit events per tenant, written by the audit.record job.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The same tenant isolation as every tenant table (see 0001).
POLICY = """
CREATE POLICY tenant_isolation ON audit_events
  USING (tenant_id = NULLIF(current_setting('jobplatform.tenant_id', true), '')::uuid
         OR current_setting('jobplatform.scope', true) = 'system')
  WITH CHECK (tenant_id = NULLIF(current_setting('jobplatform.tenant_id', true), '')::uuid
         OR current_setting('jobplatform.scope', true) = 'system')
"""


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("tenant_id", sa.Uuid(), sa.ForeignKey("tenants.id"), primary_key=True),
        # The id of the job that recorded it: a retried job cannot record it twice.
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("actor", sa.String(200)),
        sa.Column("subject", sa.String(200)),
        sa.Column("request_id", sa.String(128)),
        sa.Column("data", postgresql.JSONB(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_audit_events_tenant_occurred", "audit_events", ["tenant_id", "occurred_at"])
    op.execute("ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE audit_events FORCE ROW LEVEL SECURITY")
    op.execute(POLICY)


def downgrade() -> None:
    op.drop_table("audit_events")
