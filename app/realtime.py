"""Every real-time event leaves through this module (SPEC §5).

Events travel on one Redis pub/sub channel, the event bus, as JSON batches of
``[event, target, payload]``: the target is a chat id (its room), a list of room names
(a chat's room and its account's, which every member's sidebar listens to, and which
gets its events as batched ``chats.changed``), or None for a control event the web
processes act on themselves. Web and worker processes publish on it; every web
process listens (``app/fanout.py``) and emits each event to the chat's Socket.IO room
among its own connections. Deltas from workers reach the bus through the relay
(``app/engine/relay.py``), which publishes a whole batch in the same atomic step as the
live-state writes (one Redis script). Unit tests, which have no Redis server, deliver locally instead.
"""
from __future__ import annotations

from collections.abc import Callable

import redis
from flask import current_app

from app import event_log
from app.models import Chat, Message
from app.models.base import as_utc
from app.rendering import public_message
from app.services import conversation
from app.sidebar_batch import SidebarBatch, send_at_once

BUS_CHANNEL = "confab:events"
Event = list  # [event name, target, payload], and on the bus the event's log id when it has one


def room_for(chat_id: int) -> str:
    return f"chat:{chat_id}"


ACCOUNT_ROOM_PREFIX = "account:"


def account_room(account_id: int) -> str:
    """Every socket of a member working in the account: the sidebar's live chat list."""
    return f"{ACCOUNT_ROOM_PREFIX}{account_id}"


def bus_publisher(client: redis.Redis) -> Callable[..., None]:
    """Publish on the bus, each chat's events also appended to its log (``app/event_log.py``):
    one script call per batch.

    With a ``pipeline``, the call is one more of its commands, sent when the caller executes
    it. It goes as EVAL with the script's text: redis-py asks ``SCRIPT EXISTS`` in a round
    trip of its own before any pipeline that holds a registered script, and EVAL can never
    meet a server that has forgotten the script."""
    script = client.register_script(event_log.PUBLISH_EVENTS)

    def publish(events: list[Event], pipeline: redis.client.Pipeline | None = None) -> None:
        keys, args = event_log.script_arguments(events, BUS_CHANNEL)
        if pipeline is None:
            script(keys=keys, args=args)
        else:
            pipeline.eval(event_log.PUBLISH_EVENTS, len(keys), *keys, *args)
    return publish


_controls: dict[str, list[Callable[[dict], None]]] = {}


def on_control(name: str, handler: Callable[[dict], None]) -> None:
    """Handle bus events that are for the web processes themselves, not for a chat's room
    (published with no chat id), e.g. ending the sockets of a session that was signed out."""
    _controls.setdefault(name, []).append(handler)


def local_delivery(socketio, sidebar: SidebarBatch | None = None, streams=None) -> Callable[[list[Event]], None]:
    """Emit to this process's own Socket.IO rooms and event streams (the web side of the
    bus, and unit tests).

    Events for an account's room (the sidebars) go to ``sidebar``, which sends them in
    batches (``app/sidebar_batch.py``); without one, each is sent at once. Every chat event
    also goes to ``streams`` (``app/api/streams.py``) with its log id.
    """
    def deliver(events: list[Event], pipeline: redis.client.Pipeline | None = None) -> None:
        """``pipeline`` is ignored: local events are delivered at once, before anything the
        caller's pipeline will send."""
        for event in events:
            name, target, payload = event[0], event[1], event[2]
            if target is None:
                for handler in _controls.get(name, ()):
                    handler(payload)
                if streams is not None:
                    streams.control(name, payload)
                continue
            if streams is not None and (chat_id := event_log.logged_chat(target)) is not None:
                streams.deliver(name, chat_id, payload, event[3] if len(event) > 3 else None)
            if not isinstance(target, list):
                socketio.emit(name, payload, to=room_for(target), namespace="/")
                continue
            chat_rooms = [room for room in target if not room.startswith(ACCOUNT_ROOM_PREFIX)]
            if chat_rooms:
                socketio.emit(name, payload, to=chat_rooms, namespace="/")
            for room in target:
                if room.startswith(ACCOUNT_ROOM_PREFIX):
                    if sidebar is not None:
                        sidebar.add(room, name, payload)
                    else:
                        send_at_once(socketio, room, name, payload)
    return deliver


def publish(events: list[Event], pipeline: redis.client.Pipeline | None = None) -> None:
    """Send ``events``; with a Redis ``pipeline``, in its round trip and ahead of the commands
    added to it after this call (a post's ``message.created`` and its reply's job)."""
    current_app.extensions["confab.publish"](events, pipeline)


def emit_to_chat(chat_id: int, event: str, payload: dict) -> None:
    publish([[event, chat_id, {"chat_id": chat_id, **payload}]])


def message_event(event: str, message: Message) -> None:
    """``message.created|completed|failed|cancelled|interrupted`` with the MESSAGE (HTML once
    finished, and its turn's versions)."""
    public = public_message(message, conversation.siblings_of(message))
    emit_to_chat(message.chat_id, event, {"message_id": message.id, "message": public})


def messages_created(summary: dict, messages: list[dict], *, new_leaf_id: int | None = None,
                     pipeline: redis.client.Pipeline | None = None) -> None:
    """``message.created`` for several MESSAGE objects of one chat, in order, and the chat's
    new place at the top of every member's sidebar (``chat.touched`` with its ``summary``),
    in one publish. ``new_leaf_id`` when the shown path changed otherwise than by growing (a
    regenerate, an edit, a switch of versions): ``chat.path`` tells every page in the room
    to reload the path."""
    chat_id = summary["chat_id"]
    events = [["message.created", chat_id, {"chat_id": chat_id, "message_id": m["id"], "message": m}]
              for m in messages]
    if new_leaf_id is not None:
        events.append(["chat.path", chat_id, {"chat_id": chat_id, "leaf_id": new_leaf_id}])
    events.append(["chat.touched", [account_room(summary["account_id"])], summary])
    publish(events, pipeline)


def chat_summary(chat: Chat) -> dict:
    """A chat as the sidebar lists it."""
    return {
        "chat_id": chat.id,
        "account_id": chat.account_id,
        "title": chat.display_title,
        "model_id": chat.model_id,
        "updated_at": as_utc(chat.updated_at).isoformat(),
        "url": f"/chats/{chat.id}",
    }


def chat_created_event(chat: Chat) -> None:
    publish([["chat.created", [account_room(chat.account_id)], chat_summary(chat)]])


def chat_updated_event(chat: Chat) -> None:
    """``chat.updated`` (SPEC §5) to the chat's room and every member's sidebar."""
    payload = {**chat_summary(chat), "title": chat.title, "display_title": chat.display_title,
               "instructions": chat.instructions}
    publish([["chat.updated", [room_for(chat.id), account_room(chat.account_id)], payload]])


def presence_event(chat_id: int, members: list[dict]) -> None:
    """``presence``: everyone in the chat's room now (never stored)."""
    emit_to_chat(chat_id, "presence", {"members": members})


def typing_event(chat_id: int, user: dict) -> None:
    """``typing``: ``user`` is writing in the chat (never stored)."""
    emit_to_chat(chat_id, "typing", {"user": user})


MEMBERSHIP_ENDED = "membership.ended"
TOKEN_REVOKED = "token.revoked"


def token_revoked(token_id: int) -> None:
    """Tell every web process: disconnect the sockets that authenticated with this API token."""
    publish([[TOKEN_REVOKED, None, {"token_id": token_id}]])


def membership_ended(user_id: int, account_id: int) -> None:
    """Tell every web process: ``user_id``'s sockets must leave the rooms of ``account_id``'s chats."""
    publish([[MEMBERSHIP_ENDED, None, {"user_id": user_id, "account_id": account_id}]])


def chat_deleted_event(chat_id: int, account_id: int) -> None:
    publish([["chat.deleted", [room_for(chat_id), account_room(account_id)],
              {"chat_id": chat_id, "account_id": account_id}]])
