"""webhook updates already taken (Telegram retries a webhook that timed out)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "processed_update",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_processed_update")),
    )
    op.create_index(op.f("ix_processed_update_received_at"), "processed_update", ["received_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_processed_update_received_at"), table_name="processed_update")
    op.drop_table("processed_update")
