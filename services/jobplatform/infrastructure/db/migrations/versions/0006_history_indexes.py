"""Indexes that keep the hot statements and the retention sweep off full scans as the history
of finished jobs grows.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TERMINAL = "status IN ('succeeded', 'failed', 'dead')"


def upgrade() -> None:
    # GET /v1/jobs?status=... pages newest first by (created_at, id): with the status in the
    # index the page is read in order, not sorted out of every job of that status.
    op.drop_index("ix_jobs_tenant_status", table_name="jobs")
    op.create_index(
        "ix_jobs_tenant_status_created", "jobs", ["tenant_id", "status", "created_at", "id"]
    )
    # The retention sweep takes the oldest finished jobs first; only finished jobs are in it.
    op.create_index("ix_jobs_finished", "jobs", ["finished_at"], postgresql_where=sa.text(TERMINAL))
    # Deleting a job checks (and the sweep deletes) the rows that reference it: without an
    # index on the referencing column each check reads the whole table. The outbox index on
    # every row also serves the reconciler's "message still waiting" probe, which the partial
    # one served before.
    op.drop_index("ix_outbox_unpublished_job", table_name="outbox")
    op.create_index("ix_outbox_job", "outbox", ["job_id"])
    op.create_index("ix_dead_letters_job", "dead_letters", ["job_id"])


def downgrade() -> None:
    op.drop_index("ix_dead_letters_job", table_name="dead_letters")
    op.drop_index("ix_outbox_job", table_name="outbox")
    op.create_index(
        "ix_outbox_unpublished_job",
        "outbox",
        ["job_id"],
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.drop_index("ix_jobs_finished", table_name="jobs")
    op.drop_index("ix_jobs_tenant_status_created", table_name="jobs")
    op.create_index("ix_jobs_tenant_status", "jobs", ["tenant_id", "status"])
