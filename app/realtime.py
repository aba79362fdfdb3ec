"""Every real-time event leaves through this module (SPEC §5).

In the web process the emitter is the app's Flask-SocketIO server; in workers
it is a write-only python-socketio Redis manager. Either way the event goes
through the shared Redis message queue to every web process, and from there to
the members in the chat's room.
"""
from __future__ import annotations

from flask import current_app

from app.models import Chat, Message
from app.rendering import public_message


def room_for(chat_id: int) -> str:
    return f"chat:{chat_id}"


def emit_to_chat(chat_id: int, event: str, payload: dict) -> None:
    payload = {"chat_id": chat_id, **payload}
    current_app.extensions["confab.emitter"].emit(event, payload, room=room_for(chat_id), namespace="/")


def message_event(event: str, message: Message) -> None:
    """``message.created|completed|failed|cancelled|interrupted`` with the MESSAGE (HTML once finished)."""
    emit_to_chat(message.chat_id, event, {"message_id": message.id, "message": public_message(message)})


def delta_event(chat_id: int, message_id: int, seq: int, text: str, channel: str) -> None:
    emit_to_chat(chat_id, "message.delta", {"message_id": message_id, "seq": seq, "text": text, "channel": channel})


def chat_updated_event(chat: Chat) -> None:
    emit_to_chat(
        chat.id, "chat.updated",
        {"title": chat.title, "model_id": chat.model_id, "instructions": chat.instructions},
    )


def chat_deleted_event(chat_id: int) -> None:
    emit_to_chat(chat_id, "chat.deleted", {})
