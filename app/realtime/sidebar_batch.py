"""Sidebar events, gathered per account and sent twice a second (issue 12).

Every member's sidebar hears every chat of the account being created, touched, renamed or
deleted. Sent one by one, a busy account costs members × changes emits: 200 members each
asking one question is 40,000 Socket.IO packets. A web process instead gathers the changes
for each account room it serves and sends them as one ``chats.changed`` event every
``FLUSH_SECONDS``, keeping only the newest change per chat. The larger the rooms it sent to,
the longer it waits before the next send (``SENDS_PER_SECOND``, at most ``MAX_FLUSH_SECONDS``):
a batch to a thousand members is a thousand socket writes, and during a burst of posts they
delayed every post's answer (issue 35); a small team's sidebar still moves twice a second.
And a room's sockets are written a hundred at a time, letting the deltas in between: all at
once, they held every chat's stream for up to a few hundred milliseconds.
Unit tests, which have no flushing task, get each change at once in the same shape.
"""
from __future__ import annotations

import threading

FLUSH_SECONDS = 0.5
MAX_FLUSH_SECONDS = 2.0
SENDS_PER_SECOND = 1000  # socket writes of sidebar events a web process spends a second on, at most
SOCKETS_PER_SLICE = 100  # written at once, before the others waiting for the process have their turn
EVENT = "chats.changed"


class SidebarBatch:
    def __init__(self, socketio) -> None:
        self.socketio = socketio
        self.lock = threading.Lock()
        self.pending: dict[str, dict[int, dict]] = {}  # account room -> chat id -> change

    def add(self, room: str, name: str, payload: dict) -> None:
        with self.lock:
            changes = self.pending.setdefault(room, {})
            earlier = changes.get(payload.get("chat_id"), {}).get("event")
            if earlier == "chat.deleted":
                return
            # A chat created and then changed in the same batch is still news as created.
            event = "chat.created" if earlier == "chat.created" and name != "chat.deleted" else name
            changes[payload.get("chat_id")] = {"event": event, **payload}

    def flush(self) -> int:
        """Send what is pending; how many sockets it went to."""
        with self.lock:
            pending, self.pending = self.pending, {}
        sent = 0
        for room, changes in pending.items():
            payload = {"changes": list(changes.values())}
            listeners = self._listeners(room)
            for start in range(0, len(listeners), SOCKETS_PER_SLICE):
                self.socketio.emit(EVENT, payload, to=listeners[start:start + SOCKETS_PER_SLICE], namespace="/")
                self.socketio.sleep(0)  # the deltas waiting behind these writes go first
            sent += len(listeners)
        return sent

    def _listeners(self, room: str) -> list[str]:
        """The sids in the room here (each sid is a room of its own, so a slice of them is a ``to``)."""
        return list(self.socketio.server.manager.rooms.get("/", {}).get(room, {}))

    def run_forever(self) -> None:
        wait = FLUSH_SECONDS
        while True:
            self.socketio.sleep(wait)
            wait = next_wait(self.flush())


def next_wait(sent: int) -> float:
    """Seconds until the next batch, after one that went to ``sent`` sockets."""
    return min(MAX_FLUSH_SECONDS, max(FLUSH_SECONDS, sent / SENDS_PER_SECOND))


def send_at_once(socketio, room: str, name: str, payload: dict) -> None:
    """Without a flushing task (unit tests): one change, the same event shape."""
    socketio.emit(EVENT, {"changes": [{"event": name, **payload}]}, to=room, namespace="/")
