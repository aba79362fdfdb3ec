"""Every real-time event leaves through this module (SPEC §5).

Events travel on one Redis pub/sub channel, the event bus, as JSON batches of
``[event, chat_id, payload]``. Web and worker processes publish on it; every web
process listens (``app/fanout.py``) and emits each event to the chat's Socket.IO room
among its own connections. Deltas from workers reach the bus through the relay
(``app/engine/relay.py``), which publishes a whole batch in the same atomic step as the
live-state writes (one Redis script). Unit tests, which have no Redis server, deliver locally instead.
"""
from __future__ import annotations

import json
from collections.abc import Callable

import redis
from flask import current_app

from app.models import Chat, Message
from app.rendering import public_message

BUS_CHANNEL = "confab:events"
Event = list  # [event name, chat id, payload]


def room_for(chat_id: int) -> str:
    return f"chat:{chat_id}"


def encode(events: list[Event]) -> str:
    return json.dumps(events, separators=(",", ":"))


def bus_publisher(client: redis.Redis) -> Callable[[list[Event]], None]:
    """Publish straight to the bus (one PUBLISH per batch)."""
    def publish(events: list[Event]) -> None:
        client.publish(BUS_CHANNEL, encode(events))
    return publish


_controls: dict[str, Callable[[dict], None]] = {}


def on_control(name: str, handler: Callable[[dict], None]) -> None:
    """Handle bus events that are for the web processes themselves, not for a chat's room
    (published with no chat id), e.g. ending the sockets of a session that was signed out."""
    _controls[name] = handler


def local_delivery(socketio) -> Callable[[list[Event]], None]:
    """Emit to this process's own Socket.IO rooms (the web side of the bus, and unit tests)."""
    def deliver(events: list[Event]) -> None:
        for name, chat_id, payload in events:
            if chat_id is None:
                if name in _controls:
                    _controls[name](payload)
                continue
            socketio.emit(name, payload, to=room_for(chat_id), namespace="/")
    return deliver


def publish(events: list[Event]) -> None:
    current_app.extensions["confab.publish"](events)


def emit_to_chat(chat_id: int, event: str, payload: dict) -> None:
    publish([[event, chat_id, {"chat_id": chat_id, **payload}]])


def message_event(event: str, message: Message) -> None:
    """``message.created|completed|failed|cancelled|interrupted`` with the MESSAGE (HTML once finished)."""
    emit_to_chat(message.chat_id, event, {"message_id": message.id, "message": public_message(message)})


def messages_created(chat_id: int, messages: list[dict]) -> None:
    """``message.created`` for several MESSAGE objects of one chat, in order, in one publish."""
    publish([["message.created", chat_id, {"chat_id": chat_id, "message_id": m["id"], "message": m}]
             for m in messages])


def chat_updated_event(chat: Chat) -> None:
    emit_to_chat(
        chat.id, "chat.updated",
        {"title": chat.title, "model_id": chat.model_id, "instructions": chat.instructions},
    )


MEMBERSHIP_ENDED = "membership.ended"
TOKEN_REVOKED = "token.revoked"


def token_revoked(token_id: int) -> None:
    """Tell every web process: disconnect the sockets that authenticated with this API token."""
    publish([[TOKEN_REVOKED, None, {"token_id": token_id}]])


def membership_ended(user_id: int, account_id: int) -> None:
    """Tell every web process: ``user_id``'s sockets must leave the rooms of ``account_id``'s chats."""
    publish([[MEMBERSHIP_ENDED, None, {"user_id": user_id, "account_id": account_id}]])


def chat_deleted_event(chat_id: int) -> None:
    emit_to_chat(chat_id, "chat.deleted", {})
