"""Sidebar events gathered per account: one emit per room per flush, newest change per chat."""
from __future__ import annotations

from app.realtime.sidebar_batch import SidebarBatch


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict, str]] = []

    def emit(self, name, payload, to, namespace):
        self.sent.append((name, payload, to))


def change(chat_id: int, title: str = "t") -> dict:
    return {"chat_id": chat_id, "account_id": 1, "title": title}


def test_many_changes_leave_as_one_event_per_account_room_with_the_newest_per_chat():
    socket = Recorder()
    batch = SidebarBatch(socket)
    batch.add("account:1", "chat.created", change(7, "first"))
    batch.add("account:1", "chat.touched", change(7, "second"))
    batch.add("account:1", "chat.updated", change(8, "eight"))
    batch.add("account:2", "chat.touched", {**change(9), "account_id": 2})
    batch.flush()
    assert len(socket.sent) == 2
    first = dict((to, payload) for _, payload, to in socket.sent)["account:1"]["changes"]
    assert [(c["event"], c["chat_id"], c["title"]) for c in first] == [("chat.created", 7, "second"),
                                                                       ("chat.updated", 8, "eight")]
    batch.flush()
    assert len(socket.sent) == 2  # nothing pending, nothing sent


def test_a_deleted_chat_stays_deleted_within_a_batch():
    socket = Recorder()
    batch = SidebarBatch(socket)
    batch.add("account:1", "chat.touched", change(7))
    batch.add("account:1", "chat.deleted", change(7))
    batch.add("account:1", "chat.touched", change(7))
    batch.flush()
    assert [c["event"] for c in socket.sent[0][1]["changes"]] == ["chat.deleted"]
