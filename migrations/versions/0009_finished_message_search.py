"""The full-text index holds finished messages only (PostgreSQL)

A streaming reply's draft is rewritten every half second; indexing each draft cost
PostgreSQL CPU at every write, and search only shows finished messages.

Revision ID: 0009_finished_message_search
Revises: 0008_image_price
Create Date: 2026-11-24 19:10:00

"""
from alembic import op

from app.services.search import POSTGRES_INDEX

revision = "0009_finished_message_search"
down_revision = "0008_image_price"
branch_labels = None
depends_on = None

EVERY_MESSAGE = ("CREATE INDEX IF NOT EXISTS ix_messages_content_fts ON messages "
                 "USING gin (to_tsvector('simple', content))")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_messages_content_fts")
        op.execute(POSTGRES_INDEX)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_messages_content_fts")
        op.execute(EVERY_MESSAGE)
