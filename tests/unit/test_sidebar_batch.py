"""Sidebar events gathered per account: one event per socket per flush, newest change per chat,
written a slice of a room at a time, and less often the larger the rooms."""
from __future__ import annotations

from types import SimpleNamespace

from app.realtime.sidebar_batch import FLUSH_SECONDS, MAX_FLUSH_SECONDS, SidebarBatch, next_wait


class Recorder:
    """A Socket.IO server that records emits; ``members`` sockets in each account room."""

    def __init__(self, members: int = 2) -> None:
        self.sent: list[tuple[str, dict, list[str]]] = []
        rooms = {f"account:{n}": {f"sid{n}-{i}": i for i in range(members)} for n in (1, 2)}
        self.server = SimpleNamespace(manager=SimpleNamespace(rooms={"/": rooms}))

    def emit(self, name, payload, to, namespace):
        self.sent.append((name, payload, to))

    def sleep(self, seconds):
        self.sent.append(("sleep", {}, [seconds]))

    def events(self) -> list[tuple[str, dict, list[str]]]:
        return [sent for sent in self.sent if sent[0] != "sleep"]


def change(chat_id: int, title: str = "t") -> dict:
    return {"chat_id": chat_id, "account_id": 1, "title": title}


def test_many_changes_leave_as_one_event_per_account_room_with_the_newest_per_chat():
    socket = Recorder()
    batch = SidebarBatch(socket)
    batch.add("account:1", "chat.created", change(7, "first"))
    batch.add("account:1", "chat.touched", change(7, "second"))
    batch.add("account:1", "chat.updated", change(8, "eight"))
    batch.add("account:2", "chat.touched", {**change(9), "account_id": 2})
    assert batch.flush() == 4
    assert [to for _, _, to in socket.events()] == [["sid1-0", "sid1-1"], ["sid2-0", "sid2-1"]]
    first = socket.events()[0][1]["changes"]
    assert [(c["event"], c["chat_id"], c["title"]) for c in first] == [("chat.created", 7, "second"),
                                                                       ("chat.updated", 8, "eight")]
    assert batch.flush() == 0 and len(socket.events()) == 2  # nothing pending, nothing sent


def test_a_deleted_chat_stays_deleted_within_a_batch():
    socket = Recorder()
    batch = SidebarBatch(socket)
    batch.add("account:1", "chat.touched", change(7))
    batch.add("account:1", "chat.deleted", change(7))
    batch.add("account:1", "chat.touched", change(7))
    batch.flush()
    assert [c["event"] for c in socket.events()[0][1]["changes"]] == ["chat.deleted"]


def test_the_larger_the_rooms_a_batch_reached_the_longer_until_the_next():
    small, team = SidebarBatch(Recorder(members=12)), SidebarBatch(Recorder(members=1000))
    for batch in (small, team):
        batch.add("account:1", "chat.touched", change(7))
    assert small.flush() == 12 and next_wait(12) == FLUSH_SECONDS  # a small team's sidebar moves twice a second
    assert team.flush() == 1000 and next_wait(1000) == 1.0
    assert team.flush() == 0 and next_wait(0) == FLUSH_SECONDS  # nothing sent: back to the quick pace
    assert next_wait(50_000) == MAX_FLUSH_SECONDS


def test_a_large_room_is_written_a_slice_at_a_time_with_a_turn_for_others_between():
    socket = Recorder(members=250)
    batch = SidebarBatch(socket)
    batch.add("account:1", "chat.touched", change(7))
    assert batch.flush() == 250
    assert [(name, len(to)) for name, _, to in socket.sent] == [
        ("chats.changed", 100), ("sleep", 1), ("chats.changed", 100), ("sleep", 1), ("chats.changed", 50), ("sleep", 1)]
    reached = [sid for name, _, to in socket.sent if name != "sleep" for sid in to]
    assert sorted(reached) == sorted(f"sid1-{i}" for i in range(250))
