"""Full-text search over messages: a GIN index on PostgreSQL, an FTS5 table on SQLite

Revision ID: 0007_message_search
Revises: 0006_tool_call_results
Create Date: 2026-11-24 00:50:00

"""
from alembic import op

from app.conversations.search import SQLITE_FTS, SQLITE_FTS_FILL, SQLITE_FTS_TRIGGERS

# As first made; 0009 makes it partial (``app/conversations/search.py`` holds today's). The SQLite
# index is built as today's (0010 brings an older one up to it).
POSTGRES_INDEX = ("CREATE INDEX IF NOT EXISTS ix_messages_content_fts ON messages "
                  "USING gin (to_tsvector('simple', content))")

revision = "0007_message_search"
down_revision = "0006_tool_call_results"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_INDEX)
    else:
        for statement in SQLITE_FTS:
            op.execute(statement)
        op.execute(SQLITE_FTS_FILL)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_messages_content_fts")
    else:
        for name in SQLITE_FTS_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS messages_fts")
