"""Telling a chat's room that one of its messages changed state (SPEC §5), with the MESSAGE
as every member must see it: its sanitised HTML once finished, and its turn's versions."""
from __future__ import annotations

from app import realtime
from app.conversations import tree
from app.conversations.rendering import public_message
from app.models import Message


def message_event(event: str, message: Message) -> None:
    """``message.created|completed|failed|cancelled|interrupted`` with the MESSAGE."""
    public = public_message(message, tree.siblings_of(message))
    realtime.emit_to_chat(message.chat_id, event, {"message_id": message.id, "message": public})
