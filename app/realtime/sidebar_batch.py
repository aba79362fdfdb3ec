"""Sidebar events, gathered per account and sent twice a second (issue 12).

Every member's sidebar hears every chat of the account being created, touched, renamed or
deleted. Sent one by one, a busy account costs members × changes emits: 200 members each
asking one question is 40,000 Socket.IO packets. A web process instead gathers the changes
for each account room it serves and sends them as one ``chats.changed`` event every
``FLUSH_SECONDS``, keeping only the newest change per chat. Unit tests, which have no
flushing task, get each change at once in the same shape.
"""
from __future__ import annotations

import threading

FLUSH_SECONDS = 0.5
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

    def flush(self) -> None:
        with self.lock:
            pending, self.pending = self.pending, {}
        for room, changes in pending.items():
            self.socketio.emit(EVENT, {"changes": list(changes.values())}, to=room, namespace="/")

    def run_forever(self) -> None:
        while True:
            self.socketio.sleep(FLUSH_SECONDS)
            self.flush()


def send_at_once(socketio, room: str, name: str, payload: dict) -> None:
    """Without a flushing task (unit tests): one change, the same event shape."""
    socketio.emit(EVENT, {"changes": [{"event": name, **payload}]}, to=room, namespace="/")
