"""Delivering events to this web process's own Socket.IO rooms and event streams.

The bus listener (``bus.py``) hands every batch it hears to :func:`local_delivery`'s
function; unit tests, which have no bus, publish straight into it. Control events (no
chat: a session signed out, a token revoked, a membership ended) go to the handlers
registered with :func:`on_control` (``app/chats/connections.py``) and to the event streams.
"""
from __future__ import annotations

from collections.abc import Callable

import redis

from app.realtime import event_log
from app.realtime.rooms import ACCOUNT_ROOM_PREFIX, USER_ROOM_PREFIX, Event, room_for
from app.realtime.sidebar_batch import SidebarBatch, send_at_once

_controls: dict[str, list[Callable[[dict], None]]] = {}
SIDEBAR_EVENTS = frozenset({"chat.created", "chat.touched", "chat.updated", "chat.deleted"})


def is_sidebar(room: str, name: str) -> bool:
    """Events for sidebars: an account's room, or one person's for a private chat of theirs."""
    return room.startswith(ACCOUNT_ROOM_PREFIX) or (room.startswith(USER_ROOM_PREFIX) and name in SIDEBAR_EVENTS)


def on_control(name: str, handler: Callable[[dict], None]) -> None:
    """Handle bus events that are for the web processes themselves, not for a chat's room
    (published with no chat id), e.g. ending the sockets of a session that was signed out."""
    _controls.setdefault(name, []).append(handler)


def local_delivery(socketio, sidebar: SidebarBatch | None = None, streams=None) -> Callable[[list[Event]], None]:
    """Emit to this process's own Socket.IO rooms and event streams (the web side of the
    bus, and unit tests).

    Events for sidebars (:func:`is_sidebar`) go to ``sidebar``, which sends them in
    batches (``sidebar_batch.py``); without one, each is sent at once. Every chat event
    also goes to ``streams`` (``streams.py``) with its log id.
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
            sidebars = [room for room in target if is_sidebar(room, name)]
            chat_rooms = [room for room in target if room not in sidebars]
            if chat_rooms:
                socketio.emit(name, payload, to=chat_rooms, namespace="/")
            for room in sidebars:
                if sidebar is not None:
                    sidebar.add(room, name, payload)
                else:
                    send_at_once(socketio, room, name, payload)
    return deliver
