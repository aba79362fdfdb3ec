"""Full-text search over an account's conversations (the ``search_chats`` tool, SPEC §7).

PostgreSQL ranks with its own text search (``to_tsvector``/``to_tsquery`` of the query's words, a GIN
index); the embedded SQLite default with FTS5 (``messages_fts``, kept in step with the messages
table by triggers). Either way the index holds finished messages only: a streaming reply's
text is rewritten every half second, and indexing each draft cost the database CPU at every
write. Only the account's chats are searched, only for one of its members, and never another
member's private chat.
"""
from __future__ import annotations

import re

import sqlalchemy as sa

from app.extensions import db
from app.identity.scoping import is_member, visible_to
from app.models import Chat, Message
from app.models.chats import UNFINISHED

WORD = re.compile(r"\w+", re.UNICODE)

# Finished messages, in the same words in both indexes and in both queries: PostgreSQL uses a
# partial index only for a query that implies its predicate.
FINISHED = "status NOT IN ({})".format(", ".join(f"'{status}'" for status in UNFINISHED))
# The SQLite index: an external-content FTS5 table over the content of finished messages. A
# message goes in when it is inserted or updated finished, and comes out, with the content it
# went in with (FTS5 needs it to find the words), when it was finished before an update or a
# delete: a draft is never indexed, the finished reply once.
SQLITE_FTS = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(content, content='messages', content_rowid='id')",
    f"CREATE TRIGGER IF NOT EXISTS messages_fts_insert AFTER INSERT ON messages WHEN new.{FINISHED} BEGIN "
    "INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content); END",
    f"CREATE TRIGGER IF NOT EXISTS messages_fts_delete AFTER DELETE ON messages WHEN old.{FINISHED} BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content); END",
    "CREATE TRIGGER IF NOT EXISTS messages_fts_update AFTER UPDATE OF content, status ON messages "
    f"WHEN old.{FINISHED} OR new.{FINISHED} BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, content) "
    f"SELECT 'delete', old.id, old.content WHERE old.{FINISHED}; "
    f"INSERT INTO messages_fts(rowid, content) SELECT new.id, new.content WHERE new.{FINISHED}; END",
]
SQLITE_FTS_TRIGGERS = ("messages_fts_insert", "messages_fts_delete", "messages_fts_update")
# Fills an empty SQLite index (a migration's, after FTS5's 'delete-all').
SQLITE_FTS_FILL = f"INSERT INTO messages_fts(rowid, content) SELECT id, content FROM messages WHERE {FINISHED}"
POSTGRES_INDEX_NAME = "ix_messages_finished_fts"
POSTGRES_INDEX = (f"CREATE INDEX CONCURRENTLY {POSTGRES_INDEX_NAME} ON messages "
                  f"USING gin (to_tsvector('simple', content)) WHERE {FINISHED}")
_FINISHED = sa.text(f"messages.{FINISHED}")


def search(account_id: int, user_id: int | None, query: str, limit: int = 5) -> list[dict]:
    """The messages of the account's chats that best match any of the query's words (ranked,
    the most matching first): chat title, date and a snippet. Search syntax is read as words."""
    words = WORD.findall(query)[:12]
    if not words or user_id is None:
        return []
    if not is_member(user_id, account_id):
        return []
    if db.engine.dialect.name == "postgresql":
        rows = _postgres(account_id, user_id, " | ".join(words), limit)
    else:
        rows = _sqlite(account_id, user_id, " OR ".join(f'"{w}"' for w in words), limit)
    return [{"chat_id": chat_id, "chat": title or "New chat", "message_id": message_id, "role": role,
             "date": created_at.strftime("%Y-%m-%d") if hasattr(created_at, "strftime") else str(created_at)[:10],
             "snippet": " ".join(snippet.split())} for chat_id, title, message_id, role, created_at, snippet in rows]


def _postgres(account_id: int, user_id: int, text: str, limit: int):
    vector = sa.func.to_tsvector("simple", Message.content)
    query = sa.func.to_tsquery("simple", text)
    rank = sa.func.ts_rank(vector, query)
    snippet = sa.func.ts_headline("simple", Message.content, query,
                                  "MaxWords=28, MinWords=12, StartSel=«, StopSel=»")
    return db.session.execute(
        sa.select(Chat.id, Chat.title, Message.id, Message.role, Message.created_at, snippet)
        .join(Chat, Chat.id == Message.chat_id)
        .where(Chat.account_id == account_id, visible_to(user_id), Message.role.in_(("user", "assistant")),
               _FINISHED, vector.op("@@")(query))
        .order_by(rank.desc(), Message.id.desc()).limit(limit)
    ).all()


def _sqlite(account_id: int, user_id: int, match: str, limit: int):
    return db.session.execute(sa.text(
        "SELECT c.id, c.title, m.id, m.role, m.created_at, snippet(messages_fts, 0, '«', '»', '…', 16) "
        "FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid JOIN chats c ON c.id = m.chat_id "
        "WHERE messages_fts MATCH :match AND c.account_id = :account AND (NOT c.private OR c.creator_id = :user) "
        "AND m.role IN ('user', 'assistant') "
        f"AND m.{FINISHED} "
        "ORDER BY bm25(messages_fts), m.id DESC LIMIT :limit"
    ), {"match": match, "account": account_id, "user": user_id, "limit": limit}).all()


@sa.event.listens_for(Message.__table__, "after_create")
def _create_sqlite_index(table, connection, **kwargs) -> None:
    """``db.create_all`` (tests) builds the SQLite index too; migrations build it themselves."""
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_FTS:
            connection.exec_driver_sql(statement)
