"""Conversations as trees: a message's parent, and each chat's shown leaf

Every existing chat becomes a single path: each message's parent is the message before
it, and the chat shows its newest message's path.

Revision ID: 0003_message_tree
Revises: 0002_user_sessions
Create Date: 2026-11-23 21:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0003_message_tree"
down_revision = "0002_user_sessions"
branch_labels = None
depends_on = None


def upgrade():
    # SQLite rebuilds the table for the foreign key; ids must still never be reused. SET NULL,
    # not CASCADE: SQLite would recurse once per message of a long path when a chat is deleted.
    with op.batch_alter_table("messages", schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_messages_parent_id"), ["parent_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_messages_parent_id_messages"), "messages", ["parent_id"], ["id"],
                                    ondelete="SET NULL")
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("leaf_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE messages SET parent_id = (SELECT max(earlier.id) FROM messages AS earlier "
        "WHERE earlier.chat_id = messages.chat_id AND earlier.id < messages.id)"
    )
    op.execute("UPDATE chats SET leaf_id = (SELECT max(id) FROM messages WHERE messages.chat_id = chats.id)")


def downgrade():
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.drop_column("leaf_id")
    with op.batch_alter_table("messages", schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_messages_parent_id_messages"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_messages_parent_id"))
        batch_op.drop_column("parent_id")
