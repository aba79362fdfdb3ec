"""The reply job's reads and writes (SPEC §4, §11), in as few lean statements as a reply allows.

A worker process starts and finishes hundreds of replies at once, so the reply job reads
and writes rows with SQLAlchemy Core rather than loading them through the ORM: claiming
the next pending reply and reading what it needs (chat, model, provider, the question) is
one statement on PostgreSQL (an UPDATE and a SELECT on SQLite), the history one SELECT
(plus one each for files and tool calls when the path has any), and storing the finished
reply one statement on PostgreSQL (the chat touched, the message stored, its turn's versions
read), three on SQLite. The objects these return are the app's own models built from the
rows and never added to the session, so the code that reads them (``app/replies/context.py``,
``to_public``) is the same as everywhere else. The statements are built once, and run on the
session's connection (its transaction, without the ORM's execution layer).
"""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by

from app.conversations.tree import siblings_of
from app.extensions import db
from app.models import Account, Attachment, Chat, LlmModel, LlmProvider, Message, ToolCall, User
from app.models.base import utcnow
from app.models.chats import PENDING, READING, STREAMING
from app.platform.db_pool import autocommit_connection

_messages = Message.__table__
_chats = Chat.__table__
_accounts = Account.__table__
_models = LlmModel.__table__
_providers = LlmProvider.__table__
_users = User.__table__
_attachments = Attachment.__table__
_tool_calls = ToolCall.__table__
_question = _messages.alias("question")
FINISHED_FIELDS = ("content", "html", "reasoning", "status", "error", "context_report", "input_tokens",
                   "cached_tokens", "output_tokens", "reasoning_tokens", "cost")


@dataclass
class Claimed:
    """What a claimed reply needs before its model call: its chat, its model and the question."""

    message_id: int
    chat_id: int
    parent_id: int | None
    instructions: str | None
    account_id: int
    asker_id: int | None
    asked: str | None
    model: LlmModel | None  # None when the chat's model is gone
    tools_off: list | None = None  # the chat's tool groups switched off
    account_mcp_servers: dict | None = None  # the account owners' choices of MCP servers


def _run(statement: sa.Executable, params: dict | list[dict]) -> sa.CursorResult:
    """Run a prebuilt Core statement in the session's transaction."""
    return db.session.connection().execute(statement, params)


def _oldest_pending() -> sa.ScalarSelect:
    return (sa.select(sa.func.min(_messages.c.id))
            .where(_messages.c.chat_id == sa.bindparam("in_chat"), _messages.c.role == "assistant",
                   _messages.c.status == PENDING).scalar_subquery())


def question_is_read(reply: sa.FromClause) -> sa.ColumnElement[bool]:
    """The reply's question has no document still being read (the reading job queues the
    reply again once it has read them)."""
    return ~sa.exists().where(_attachments.c.message_id == reply.c.reply_to_id,
                              _attachments.c.read_state == READING)


# The oldest pending reply of a chat, when it can be answered: replies are answered in order,
# so one that waits for its documents holds back the chat's later ones.
_NEXT_PENDING = sa.select(_messages.c.id).where(_messages.c.id == _oldest_pending(), question_is_read(_messages))
_CLAIM = (sa.update(_messages)
          .where(_messages.c.id == _oldest_pending(), _messages.c.status == PENDING, question_is_read(_messages))
          .values(status=STREAMING, updated_at=sa.bindparam("now", type_=_messages.c.updated_at.type))
          .returning(_messages.c.id, _messages.c.chat_id, _messages.c.parent_id, _messages.c.reply_to_id,
                     _messages.c.model_id))


def _what_it_needs(reply: sa.FromClause) -> sa.Select:
    """The chat, model (with its provider) and question of ``reply``, a row source with the
    message's ``id``, ``chat_id``, ``parent_id``, ``reply_to_id`` and ``model_id``."""
    return (
        sa.select(reply.c.id.label("message_id"), reply.c.chat_id, reply.c.parent_id, _chats.c.instructions,
                  _chats.c.account_id, _chats.c.tools_off, _accounts.c.mcp_servers.label("account_mcp_servers"),
                  _question.c.user_id.label("asker_id"), _question.c.content.label("asked"),
                  *[column.label(f"model_{column.key}") for column in _models.c],
                  *[column.label(f"provider_{column.key}") for column in _providers.c])
        .select_from(
            reply.join(_chats, _chats.c.id == reply.c.chat_id)
            .join(_accounts, _accounts.c.id == _chats.c.account_id)
            .outerjoin(_question, _question.c.id == reply.c.reply_to_id)
            .outerjoin(_models, _models.c.id == sa.func.coalesce(reply.c.model_id, _chats.c.model_id))
            .outerjoin(_providers, _providers.c.id == _models.c.provider_id))
    )


_CLAIMED = _what_it_needs(_messages).where(_messages.c.id == sa.bindparam("message_id"))
_CLAIM_AND_READ = _what_it_needs(_CLAIM.cte("claimed"))  # PostgreSQL: a data-modifying CTE


def claim_next(chat_id: int) -> Claimed | None:
    """Mark the chat's oldest pending reply streaming and return it with what it needs (None
    if there is none, or it waits for its documents): one statement on PostgreSQL, an UPDATE and a SELECT on SQLite.

    The claim is left in the session's transaction, with the read of :func:`history` (one
    connection checkout); the caller commits it once the reply's model request is on its way."""
    params = {"in_chat": chat_id, "now": utcnow()}
    if db.session.connection().dialect.name == "postgresql":
        return _claimed_from(_run(_CLAIM_AND_READ, params).mappings().first())
    message_id = _run(_CLAIM, params).scalar()
    return claimed(message_id) if message_id is not None else None


def next_pending(chat_id: int) -> int | None:
    """The id of the chat's oldest pending reply, if any and unless it waits for its documents
    (one round trip on PostgreSQL)."""
    with autocommit_connection() as alone:
        if alone is not None:
            return alone.execute(_NEXT_PENDING, {"in_chat": chat_id}).scalar()
    message_id = _run(_NEXT_PENDING, {"in_chat": chat_id}).scalar()
    db.session.commit()
    return message_id


def _row_object(model: type, row: sa.RowMapping, prefix: str = ""):
    """An unsaved instance of ``model`` holding the row's ``prefix``-ed columns."""
    return model(**{column.key: row[prefix + column.key] for column in model.__table__.c})


def claimed(message_id: int) -> Claimed | None:
    """The reply's chat, model (with its provider) and question, in one SELECT."""
    return _claimed_from(_run(_CLAIMED, {"message_id": message_id}).mappings().first())


def _claimed_from(row: sa.RowMapping | None) -> Claimed | None:
    if row is None:
        return None
    model = None
    if row["model_id"] is not None:
        model = _row_object(LlmModel, row, "model_")
        model.provider = _row_object(LlmProvider, row, "provider_")
    return Claimed(message_id=row["message_id"], chat_id=row["chat_id"], parent_id=row["parent_id"],
                   instructions=row["instructions"], account_id=row["account_id"], asker_id=row["asker_id"],
                   asked=row["asked"], model=model, tools_off=row["tools_off"],
                   account_mcp_servers=row["account_mcp_servers"])


_HISTORY = (
    sa.select(*_messages.c, _users.c.name.label("author_name"),
              sa.exists().where(_attachments.c.message_id == _messages.c.id).label("has_files"),
              sa.exists().where(_tool_calls.c.message_id == _messages.c.id).label("has_calls"))
    .select_from(_messages.outerjoin(_users, _users.c.id == _messages.c.user_id))
    .where(_messages.c.id.in_(Message.path_ids(sa.bindparam("leaf_id")))).order_by(_messages.c.id)
)
_CHILDREN = {table.name: sa.select(table).where(table.c.message_id.in_(sa.bindparam("ids", expanding=True)))
             .order_by(table.c.id) for table in (_attachments, _tool_calls)}


def history(leaf_id: int | None) -> list[Message]:
    """The messages from the root down to ``leaf_id``, in order, with their authors' names,
    files and tool calls: one SELECT, and one more each for files and tool calls if any."""
    if leaf_id is None:
        return []
    rows = _run(_HISTORY, {"leaf_id": leaf_id}).mappings().all()
    path = []
    for row in rows:
        message = _row_object(Message, row)
        message.user = User(id=row["user_id"], name=row["author_name"]) if row["user_id"] is not None else None
        path.append(message)
    _fill(path, [row["id"] for row in rows if row["has_files"]], Attachment, "attachments")
    _fill(path, [row["id"] for row in rows if row["has_calls"]], ToolCall, "tool_calls")
    return path


def _fill(path: list[Message], message_ids: list[int], child: type, collection: str) -> None:
    """Set each message's ``collection`` (empty unless it is one of ``message_ids``)."""
    children: dict[int, list] = {message.id: [] for message in path}
    if message_ids:
        for row in _run(_CHILDREN[child.__tablename__], {"ids": message_ids}).mappings():
            children[row["message_id"]].append(_row_object(child, row))
    for message in path:
        setattr(message, collection, children[message.id])


@dataclass
class Stored:
    """A finished reply as stored: the message completed from its row, its turn's versions,
    and whether its chat has no title yet."""

    message: Message
    siblings: list[int]
    untitled: bool


_STORE = (sa.update(_messages).where(_messages.c.id == sa.bindparam("message"))
          .values({name: sa.bindparam(f"new_{name}", type_=_messages.c[name].type) for name in (*FINISHED_FIELDS,
                                                                                               "updated_at")})
          .returning(*_messages.c))
_TOUCH = (sa.update(_chats).where(_chats.c.id == sa.bindparam("chat"))
          .values(updated_at=sa.bindparam("now", type_=_chats.c.updated_at.type)).returning(_chats.c.title))
_touched = _TOUCH.cte("touched")
_sibling = _messages.alias("sibling")
# PostgreSQL: the chat touched (a data-modifying CTE, locked before the message, as the message
# is stored only if the chat is there), the message stored, and the turn's versions, in one statement.
_TOUCH_AND_STORE = (
    _STORE.where(sa.exists(sa.select(_touched.c.title)))
    .returning(sa.select(_touched.c.title).scalar_subquery().label("chat_title"),
               sa.select(sa.func.array_agg(aggregate_order_by(_sibling.c.id, _sibling.c.id)))
               .where(_sibling.c.chat_id == _messages.c.chat_id,
                      _sibling.c.parent_id.is_not_distinct_from(_messages.c.parent_id))
               .scalar_subquery().label("sibling_ids"))
)


def store_finished(message: Message) -> Stored | None:
    """Write a finished reply (``message``: unsaved, holding its id, ``FINISHED_FIELDS``, new
    files and tool calls), touch its chat, and commit; None if the reply is gone. One statement on
    PostgreSQL (and one more each for new files and tool calls), three on SQLite. Without files or
    tool calls, and with no transaction of the caller's open, PostgreSQL's one statement commits
    as it runs: one round trip, where BEGIN and COMMIT would take two more.

    The chat's row is updated first, as deleting a chat locks it before its messages: the
    same order in both keeps the two from deadlocking."""
    now = utcnow()
    values = {f"new_{name}": getattr(message, name) for name in FINISHED_FIELDS}
    store = {**values, "new_updated_at": now, "message": message.id}
    touch = {"chat": message.chat_id, "now": now}
    on_postgresql = db.session.get_bind().dialect.name == "postgresql"
    if on_postgresql:
        one_statement = not (message.attachments or message.tool_calls)
        with autocommit_connection() if one_statement else nullcontext() as alone:
            row = (alone or db.session.connection()).execute(_TOUCH_AND_STORE, {**store, **touch}).mappings().first()
        title = (row["chat_title"],) if row is not None else None
    else:
        title = _run(_TOUCH, touch).first()
        row = _run(_STORE, store).mappings().first()
    if title is None or row is None:
        db.session.rollback()
        return None
    for column in _messages.c:
        setattr(message, column.key, row[column.key])
    _insert_children(message, message.attachments, _attachments)
    _insert_children(message, message.tool_calls, _tool_calls)
    siblings = row["sibling_ids"] if on_postgresql else siblings_of(message)
    db.session.commit()
    return Stored(message, siblings, title[0] is None)


def _insert_children(message: Message, objects: list, table: sa.Table) -> None:
    """Insert the rows of a finished reply's new files or tool calls, giving the objects their ids."""
    if not objects:
        return
    now = utcnow()
    rows = [{**{column.key: getattr(obj, column.key) for column in table.c if column.key != "id"},
             "message_id": message.id, "created_at": now, "updated_at": now} for obj in objects]
    ids = _run(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars()
    for obj, new_id in zip(objects, ids):
        obj.id, obj.message_id, obj.created_at, obj.updated_at = new_id, message.id, now, now
