"""The SQLite full-text index holds finished messages only, as PostgreSQL's does since 0009

Its triggers re-indexed a streaming reply's whole text at every draft write (twice a second).
Today's triggers (``app/conversations/search.py``) index a message once it is finished; the
index is emptied and filled again with the finished messages.

Revision ID: 0010_sqlite_finished_search
Revises: 0009_finished_message_search
Create Date: 2026-11-24 23:45:00

"""
from alembic import op

from app.conversations.search import SQLITE_FTS, SQLITE_FTS_FILL, SQLITE_FTS_TRIGGERS

revision = "0010_sqlite_finished_search"
down_revision = "0009_finished_message_search"
branch_labels = None
depends_on = None

# The triggers as 0007 first made them: every message, every write.
EVERY_MESSAGE = [
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN "
    "INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content); END",
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content); END",
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content); "
    "INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content); END",
]


def _index_with(triggers: list[str], fill: list[str]) -> None:
    """Replace the SQLite index's triggers and fill it again (PostgreSQL's is 0009's)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in SQLITE_FTS_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement in [*triggers, *fill]:
        op.execute(statement)


def upgrade():
    _index_with(SQLITE_FTS, ["INSERT INTO messages_fts(messages_fts) VALUES ('delete-all')", SQLITE_FTS_FILL])


def downgrade():
    _index_with(EVERY_MESSAGE, ["INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')"])
