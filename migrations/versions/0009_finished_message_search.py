"""The full-text index holds finished messages only (PostgreSQL)

A streaming reply's draft is rewritten every half second; indexing each draft cost
PostgreSQL CPU at every write, and search only shows finished messages. The new index is
built beside the old one without blocking writes to messages, then the old one is dropped.

Revision ID: 0009_finished_message_search
Revises: 0008_image_price
Create Date: 2026-11-24 19:10:00

"""
from alembic import op

from app.conversations.search import POSTGRES_INDEX, POSTGRES_INDEX_NAME

revision = "0009_finished_message_search"
down_revision = "0008_image_price"
branch_labels = None
depends_on = None

EVERY_MESSAGE = ("CREATE INDEX CONCURRENTLY ix_messages_content_fts ON messages "
                 "USING gin (to_tsvector('simple', content))")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    with op.get_context().autocommit_block():  # CONCURRENTLY cannot run in a transaction
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {POSTGRES_INDEX_NAME}")  # an interrupted build's
        op.execute(POSTGRES_INDEX)
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_messages_content_fts")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_messages_content_fts")
        op.execute(EVERY_MESSAGE)
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {POSTGRES_INDEX_NAME}")
