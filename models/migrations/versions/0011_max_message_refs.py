"""MAX names a message by its mid: look a press's or a reply's message up by an index, not a scan

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ONLY_MAX = sa.text("message_ref IS NOT NULL")


def upgrade() -> None:
    for table in ("delivery", "item_card"):
        op.create_index(
            f"ix_{table}_message_ref",
            table,
            ["message_ref"],
            sqlite_where=_ONLY_MAX,
            postgresql_where=_ONLY_MAX,
        )


def downgrade() -> None:
    for table in ("delivery", "item_card"):
        op.drop_index(f"ix_{table}_message_ref", table_name=table)
