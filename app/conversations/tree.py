"""Reading a conversation: the path of its message tree that everyone in the chat is shown,
and the versions (siblings) of each turn, in a constant number of queries however long
the chat or however many branches it has."""
from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import subqueryload

from app.extensions import db
from app.models import Chat, Message
from app.models.chats import UNFINISHED


def path_to(leaf_id: int | None) -> list[Message]:
    """The messages from the root down to ``leaf_id``, in order, with authors, tool calls and
    attachments (one query for the path and one each for tool calls and attachments)."""
    if leaf_id is None:
        return []
    return list(db.session.execute(
        sa.select(Message).where(Message.id.in_(Message.path_ids(leaf_id))).order_by(Message.id)
        .options(subqueryload(Message.tool_calls), subqueryload(Message.attachments))
    ).scalars())


def shown_path(chat: Chat) -> list[Message]:
    return path_to(chat.leaf_id)


def versions(chat_id: int, path: list[Message]) -> dict[int, list[int]]:
    """For each message on ``path``, the ids of its turn's versions (its siblings), in order."""
    if not path:
        return {}
    parents = {m.parent_id for m in path if m.parent_id is not None}
    rows = db.session.execute(
        sa.select(Message.id, Message.parent_id)
        .where(Message.chat_id == chat_id,
               sa.or_(Message.parent_id.in_(parents), Message.parent_id.is_(None)) if parents
               else Message.parent_id.is_(None))
        .order_by(Message.id)
    ).all()
    by_parent: dict[int | None, list[int]] = defaultdict(list)
    for message_id, parent_id in rows:
        by_parent[parent_id].append(message_id)
    return {m.id: by_parent[m.parent_id] for m in path}


def siblings_of(message: Message) -> list[int]:
    """The ids of ``message``'s turn's versions, in order (one indexed query)."""
    same_parent = (Message.parent_id == message.parent_id) if message.parent_id is not None else Message.parent_id.is_(None)
    return list(db.session.execute(
        sa.select(Message.id).where(Message.chat_id == message.chat_id, same_parent).order_by(Message.id)
    ).scalars())


def newest_leaf_under(message_id: int) -> int:
    """The leaf to show when someone picks ``message_id``'s version of its turn: the newest
    message of its subtree (the newest message of a subtree never has children)."""
    return db.session.execute(
        sa.select(sa.func.max(Message.id)).where(Message.id.in_(Message.subtree_ids(message_id)))
    ).scalar_one()


def unfinished_on_path(chat: Chat) -> list[Message]:
    """The replies of the shown path still pending or streaming, oldest first."""
    return list(db.session.execute(
        sa.select(Message).where(Message.chat_id == chat.id, Message.status.in_(UNFINISHED),
                                 Message.id.in_(Message.path_ids(chat.leaf_id or 0)))
        .order_by(Message.id)
    ).scalars())


def with_live_text(public: dict, live: dict) -> dict:
    """MESSAGE JSON of a streaming reply with its text so far (``live``: its live state)."""
    if live["seq"]:
        public["content"], public["reasoning"] = live["content"], live["reasoning"]
    return public


def live_entry(message: Message, live: dict) -> dict:
    """One unfinished reply as a join answer or a stream's ``ready`` lists it."""
    return {"message": with_live_text(message.to_public(), live), "seq": live["seq"]}
