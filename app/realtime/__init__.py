"""Every real-time event leaves through this package (SPEC §5, §13).

Events travel on one Redis pub/sub channel, the event bus (``bus.py``), as JSON batches of
``[event, target, payload]``: the target is a chat id (its room), a list of room names
(a chat's room and its account's, which every member's sidebar listens to, and which
gets its events as batched ``chats.changed``: ``sidebar_batch.py``), or None for a control
event the web processes act on themselves. Web and worker processes publish with the
functions below; a streaming reply's deltas leave through ``bus.py`` too, in the same
atomic step as its live-state writes (``app/engine/relay.py``). Every web process listens
(``bus.py``) and delivers each event to its own Socket.IO rooms and event streams
(``delivery.py``, ``streams.py``); each chat's events are also logged so an event stream
can resume (``event_log.py``). Who is in a room is ``presence.py``; how sockets are carried,
``socket_transport.py``. Unit tests, which have no Redis server, deliver locally instead.

It may use the models and the platform; it never imports the domain above it, so the
payloads it sends (a MESSAGE with its HTML, a chat's summary) are built by its callers or
from a model's own fields.
"""
from __future__ import annotations

import redis
from flask import current_app

from app.models import Chat
from app.models.base import as_utc
from app.realtime.rooms import CHAT_MOVED, MEMBERSHIP_ENDED, TOKEN_REVOKED, Event, account_room, room_for, user_room

__all__ = ["CHAT_MOVED", "MEMBERSHIP_ENDED", "TOKEN_REVOKED", "account_room", "room_for", "user_room"]


def publish(events: list[Event], pipeline: redis.client.Pipeline | None = None) -> None:
    """Send ``events``; with a Redis ``pipeline``, in its round trip and ahead of the commands
    added to it after this call (a post's ``message.created`` and its reply's job)."""
    current_app.extensions["confab.publish"](events, pipeline)


def emit_to_chat(chat_id: int, event: str, payload: dict) -> None:
    publish([[event, chat_id, {"chat_id": chat_id, **payload}]])


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
    events.append(["chat.touched", [sidebar_room(summary)], summary])
    publish(events, pipeline)


def sidebar_room(summary: dict) -> str:
    """Whose sidebars hear of a chat: its account's members, or its creator alone while it is private."""
    return user_room(summary["private_to"]) if summary.get("private_to") else account_room(summary["account_id"])


def chat_summary(chat: Chat) -> dict:
    """A chat as the sidebar lists it; ``private_to`` is its creator's id while it is private."""
    return {
        "chat_id": chat.id,
        "account_id": chat.account_id,
        "private_to": chat.creator_id if chat.private else None,
        "title": chat.display_title,
        "model_id": chat.model_id,
        "updated_at": as_utc(chat.updated_at).isoformat(),
        "url": f"/chats/{chat.id}",
    }


def chat_created(summary: dict) -> None:
    """``chat.created`` to every member's sidebar: a chat's first message has been posted."""
    publish([["chat.created", [sidebar_room(summary)], summary]])


def chat_updated_event(chat: Chat) -> None:
    """``chat.updated`` (SPEC §5) to the chat's room and every member's sidebar."""
    payload = {**chat_summary(chat), "title": chat.title, "display_title": chat.display_title,
               "instructions": chat.instructions}
    publish([["chat.updated", [room_for(chat.id), sidebar_room(payload)], payload]])


def presence_event(chat_id: int, members: list[dict]) -> None:
    """``presence``: everyone in the chat's room now (never stored)."""
    emit_to_chat(chat_id, "presence", {"members": members})


def typing_event(chat_id: int, user: dict) -> None:
    """``typing``: ``user`` is writing in the chat (never stored)."""
    emit_to_chat(chat_id, "typing", {"user": user})


def token_revoked(token_id: int) -> None:
    """Tell every web process: disconnect the sockets that authenticated with this API token."""
    publish([[TOKEN_REVOKED, None, {"token_id": token_id}]])


def invitation_received(user_id: int, payload: dict) -> None:
    """``invitation.received`` to every browser of ``user_id``: the sidebar shows it at once."""
    publish([["invitation.received", [user_room(user_id)], payload]])


def membership_ended(user_id: int, account_id: int) -> None:
    """Tell every web process: ``user_id``'s sockets must leave the rooms of ``account_id``'s chats."""
    publish([[MEMBERSHIP_ENDED, None, {"user_id": user_id, "account_id": account_id}]])


def chat_moved(before: dict, after: dict) -> None:
    """A chat moved to another account: the old sidebars drop it, the new ones list it, and
    every web process makes the sockets that may no longer see it leave its room
    (``CHAT_MOVED``, handled by ``app/chats/connections.py``); its room hears ``chat.moved``."""
    chat_id = before["chat_id"]
    publish([["chat.deleted", [sidebar_room(before)], {"chat_id": chat_id, "account_id": before["account_id"]}],
             ["chat.created", [sidebar_room(after)], after],
             ["chat.moved", chat_id, {"chat_id": chat_id, "account_id": after["account_id"]}],
             [CHAT_MOVED, None, {"chat_id": chat_id, "account_id": after["account_id"]}]])  # after the room heard


def chat_deleted_event(summary: dict) -> None:
    """``chat.deleted`` to its room and to the sidebars that listed it (``summary``: the chat's,
    taken before it was deleted)."""
    publish([["chat.deleted", [room_for(summary["chat_id"]), sidebar_room(summary)],
              {"chat_id": summary["chat_id"], "account_id": summary["account_id"]}]])
