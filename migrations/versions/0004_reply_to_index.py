"""Index messages.reply_to_id

Usage sums a member's replies through it, and deleting a long chat sets it to NULL row by
row, which without an index scans the table once per message.

Revision ID: 0004_reply_to_index
Revises: 0003_message_tree
Create Date: 2026-11-23 22:20:00

"""
from alembic import op


revision = "0004_reply_to_index"
down_revision = "0003_message_tree"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(op.f("ix_messages_reply_to_id"), "messages", ["reply_to_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_messages_reply_to_id"), table_name="messages")
