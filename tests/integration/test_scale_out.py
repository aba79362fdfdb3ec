"""Several web processes share one Redis message queue (SPEC §12)."""
from __future__ import annotations

import time


def test_members_on_different_web_processes_see_the_same_stream(ann, bob_elsewhere, chat_id, stack):
    assert ann.url != bob_elsewhere.url
    ann_live, bob_live = ann.socket(), bob_elsewhere.socket()
    try:
        assert ann_live.join(chat_id)["ok"] and bob_live.join(chat_id)["ok"]
        reply_id = bob_elsewhere.say(chat_id, "Across processes [[chunks:50]]")["assistant_message"]["id"]
        for live in (ann_live, bob_live):
            done = live.wait_for("message.completed", reply_id)
            deltas = live.deltas(reply_id)
            assert [d["seq"] for d in deltas] == list(range(1, len(deltas) + 1))
            assert "".join(d["text"] for d in deltas) == done["message"]["content"]
    finally:
        ann_live.close()
        bob_live.close()


def test_a_new_chat_gets_a_short_title_after_its_first_exchange(ann):
    chat_id = ann.new_chat("")
    live = ann.socket()
    try:
        assert live.join(chat_id)["ok"]
        reply_id = ann.say(chat_id, "Budget review for the Berlin office move")["assistant_message"]["id"]
        live.wait_for("message.completed", reply_id)
        deadline = time.monotonic() + 15
        titles = []
        while time.monotonic() < deadline and not titles:
            titles = [d["title"] for n, d in list(live.events) if n == "chat.updated" and d["chat_id"] == chat_id]
            time.sleep(0.05)
        assert titles and 0 < len(titles[0].split()) <= 6
        assert titles[0] in ann.http.get(f"{ann.url}/chats", timeout=10).text
    finally:
        live.close()
