"""execution tracking: when an item was closed

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 16:30:00

«Closed on time» needs the date an item was accepted, not only its status. Items accepted before this
revision get the time of their latest 'accepted' status report (or, lacking one, their last update).
The execution-control figures aggregate per organisation from one covering index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))
        batch_op.create_index(
            "ix_assignment_execution",
            ["organisation_id", "recommendation_id", "status", "due", "closed_at"],
            unique=False,
        )
    op.execute(
        """
        UPDATE assignment SET closed_at = COALESCE(
            (SELECT max(sr.created_at) FROM status_report sr
             WHERE sr.assignment_id = assignment.id AND sr.status = 'accepted'),
            updated_at)
        WHERE status = 'accepted'
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_assignment_execution")
        batch_op.drop_column("closed_at")
