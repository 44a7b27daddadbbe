"""delivery queue index carries not_before

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 16:10:00

The worker filters rows that wait for the end of quiet hours in SQL; with `not_before` in the
queue index, skipping them reads only the index.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_queue")
        batch_op.create_index("ix_delivery_queue", ["state", "priority", "id", "not_before"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_queue")
        batch_op.create_index("ix_delivery_queue", ["state", "priority", "id"], unique=False)
