"""reports travel: several files per report, the exchange about an item, the cards to refresh

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 17:00:00

Files that were kept on the report row itself (one per report) move into report_file.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["status_report.id"], name=op.f("fk_report_file_report_id_status_report"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_file")),
    )
    op.create_index(op.f("ix_report_file_report_id"), "report_file", ["report_id"], unique=False)
    op.create_table(
        "item_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"], ["assignment.id"], name=op.f("fk_item_message_assignment_id_assignment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_item_message_member_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_message")),
    )  # fmt: skip
    op.create_index(op.f("ix_item_message_assignment_id"), "item_message", ["assignment_id"], unique=False)
    op.create_table(
        "item_card",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"], ["assignment.id"], name=op.f("fk_item_card_assignment_id_assignment"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_card")),
    )
    op.create_index("ix_item_card_assignment_chat", "item_card", ["assignment_id", "chat_id"], unique=False)
    op.execute(
        "INSERT INTO report_file (report_id, file_id, kind, created_at) "
        "SELECT id, file_id, COALESCE(file_kind, 'document'), created_at FROM status_report WHERE file_id IS NOT NULL"
    )
    with op.batch_alter_table("status_report", schema=None) as batch_op:
        batch_op.drop_column("file_kind")
        batch_op.drop_column("file_id")


def downgrade() -> None:
    with op.batch_alter_table("status_report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file_id", sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column("file_kind", sa.String(length=16), nullable=True))
    op.drop_index("ix_item_card_assignment_chat", table_name="item_card")
    op.drop_table("item_card")
    op.drop_index(op.f("ix_item_message_assignment_id"), table_name="item_message")
    op.drop_table("item_message")
    op.drop_index(op.f("ix_report_file_report_id"), table_name="report_file")
    op.drop_table("report_file")
