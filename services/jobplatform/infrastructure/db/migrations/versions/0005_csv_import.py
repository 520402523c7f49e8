"""Contacts (what CSV imports upsert) and each import's progress.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
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
        "contacts",
        sa.Column("tenant_id", sa.Uuid(), sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("external_id", sa.String(100), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "import_progress",
        sa.Column("job_id", sa.Uuid(), sa.ForeignKey("jobs.id"), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("rows_changed", sa.Integer(), nullable=False),
        sa.Column("error_report", sa.String(300)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    for table in ("contacts", "import_progress"):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(POLICY.format(table=table))


def downgrade() -> None:
    op.drop_table("import_progress")
    op.drop_table("contacts")
