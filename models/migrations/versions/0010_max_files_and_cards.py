"""MAX files shown on Telegram and MAX item cards kept up to date: where a file sent on MAX can be fetched
from (its URL and name), and the messenger and MAX message of a shown item card

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("report_file") as batch:
        batch.add_column(sa.Column("url", sa.Text(), nullable=True))
        batch.add_column(sa.Column("name", sa.String(length=256), nullable=True))
    with op.batch_alter_table("item_card") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=16), server_default="telegram", nullable=False))
        batch.add_column(sa.Column("message_ref", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("item_card") as batch:
        batch.drop_column("message_ref")
        batch.drop_column("channel")
    with op.batch_alter_table("report_file") as batch:
        batch.drop_column("name")
        batch.drop_column("url")
