"""Daily audit counts (and the days they seal), and each tenant's own job retention.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
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
        "audit_daily",
        sa.Column("tenant_id", sa.Uuid(), sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("action", sa.String(100), primary_key=True),
        sa.Column("count", sa.BigInteger(), nullable=False),
    )
    # A row per counted day: its lock serializes the day's recounts, and once sealed_at is
    # set the day's counts are final and its raw events may be deleted.
    op.create_table(
        "audit_days",
        sa.Column("tenant_id", sa.Uuid(), sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("sealed_at", sa.DateTime(timezone=True)),
    )
    for table in ("audit_daily", "audit_days"):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(POLICY.format(table=table))
    # NULL: the global JOBPLATFORM_JOB_RETENTION_DAYS.
    op.add_column("tenants", sa.Column("job_retention_days", sa.Integer()))


def downgrade() -> None:
    op.drop_column("tenants", "job_retention_days")
    op.drop_table("audit_days")
    op.drop_table("audit_daily")
