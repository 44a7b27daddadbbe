"""MAX as a first-class messenger: the progress message of a broadcast published on MAX, and MAX webhook
updates already taken

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("broadcast") as batch:
        batch.add_column(sa.Column("progress_ref", sa.String(length=64), nullable=True))
    op.create_table(
        "processed_max_update",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_processed_max_update")),
    )
    op.create_index(op.f("ix_processed_max_update_received_at"), "processed_max_update", ["received_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_processed_max_update_received_at"), table_name="processed_max_update")
    op.drop_table("processed_max_update")
    with op.batch_alter_table("broadcast") as batch:
        batch.drop_column("progress_ref")
