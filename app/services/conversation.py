"""Reading a conversation: the messages a chat page shows, loaded in a constant number of queries."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import subqueryload

from app.extensions import db
from app.models import Message


def visible_messages(chat_id: int) -> list[Message]:
    """Every message of the chat in order, with authors, tool calls and attachments."""
    return list(
        db.session.execute(
            sa.select(Message)
            .where(Message.chat_id == chat_id)
            .order_by(Message.id)
            .options(subqueryload(Message.tool_calls), subqueryload(Message.attachments))
        ).scalars()
    )
