"""Leases for running jobs and the bookkeeping the reconciler needs to find stalled jobs.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

IN_FLIGHT = "status IN ('queued', 'running', 'retrying')"


def upgrade() -> None:
    # Which worker owns the current run, and until when (renewed while the run lasts).
    op.add_column("jobs", sa.Column("lease_owner", sa.String(length=255), nullable=True))
    op.add_column("jobs", sa.Column("lease_expires_at", sa.DateTime(timezone=True)))
    # When a retrying job is due again.
    op.add_column("jobs", sa.Column("next_attempt_at", sa.DateTime(timezone=True)))
    # When a message was last queued for the job (submit, replay or re-publish), and how many
    # times the reconciler has re-published it since.
    op.add_column("jobs", sa.Column("dispatched_at", sa.DateTime(timezone=True)))
    op.add_column(
        "jobs",
        sa.Column("redispatches", sa.Integer(), nullable=False, server_default="0"),
    )
    op.execute("UPDATE jobs SET dispatched_at = updated_at")
    op.alter_column("jobs", "dispatched_at", nullable=False)
    # A re-published retry carries its due time, so the broker holds it until then.
    op.add_column("outbox", sa.Column("not_before", sa.DateTime(timezone=True)))
    # The reconciler scans only jobs in flight: a small part of the table however long the
    # history grows.
    op.create_index(
        "ix_jobs_in_flight",
        "jobs",
        ["status", "dispatched_at"],
        postgresql_where=sa.text(IN_FLIGHT),
    )
    op.create_index(
        "ix_outbox_unpublished_job",
        "outbox",
        ["job_id"],
        postgresql_where=sa.text("published_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_unpublished_job", table_name="outbox")
    op.drop_index("ix_jobs_in_flight", table_name="jobs")
    op.drop_column("outbox", "not_before")
    for column in (
        "redispatches",
        "dispatched_at",
        "next_attempt_at",
        "lease_expires_at",
        "lease_owner",
    ):
        op.drop_column("jobs", column)
