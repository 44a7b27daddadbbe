"""MAX as a second messenger: members reachable there, a channel on every outbox row, link codes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite adds the unique constraint by copying the table; PostgreSQL alters it in place.
    with op.batch_alter_table("member") as batch:
        batch.add_column(sa.Column("max_user_id", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("preferred_channel", sa.String(length=16), server_default="telegram", nullable=False)
        )
        batch.add_column(sa.Column("telegram_blocked", sa.Boolean(), server_default="0", nullable=False))
        batch.add_column(sa.Column("max_blocked", sa.Boolean(), server_default="0", nullable=False))
        batch.create_unique_constraint(op.f("uq_member_max_user_id"), ["max_user_id"])
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=16), server_default="telegram", nullable=False))
        batch.add_column(sa.Column("message_ref", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("fallback_of", sa.Integer(), nullable=True))
        batch.create_index(op.f("ix_delivery_fallback_of"), ["fallback_of"], unique=False)
    op.create_table(
        "link_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_link_code_member_id_member"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_code")),
        sa.UniqueConstraint("code", name=op.f("uq_link_code_code")),
    )
    op.create_index(op.f("ix_link_code_member_id"), "link_code", ["member_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_link_code_member_id"), table_name="link_code")
    op.drop_table("link_code")
    with op.batch_alter_table("delivery") as batch:
        batch.drop_index(op.f("ix_delivery_fallback_of"))
        batch.drop_column("fallback_of")
        batch.drop_column("message_ref")
        batch.drop_column("channel")
    with op.batch_alter_table("member") as batch:
        batch.drop_constraint(op.f("uq_member_max_user_id"), type_="unique")
        batch.drop_column("max_blocked")
        batch.drop_column("telegram_blocked")
        batch.drop_column("preferred_channel")
        batch.drop_column("max_user_id")
