"""The workspace's live events on the real stack, across two web processes: every member's
sidebar hears chats created, touched, renamed and deleted in their account, gathered into
``chats.changed`` (and nobody else's), and a chat's room hears who is in it and who is
typing (SPEC §5, issue 12)."""
from __future__ import annotations


def listening(member, opened):
    listener = member.socket()
    opened.append(listener)
    return listener


def test_sidebar_events_reach_members_on_another_web_process_and_no_outsider(ann, bob_elsewhere, eve, listeners):
    bob_side, eve_side = listening(bob_elsewhere, listeners), listening(eve, listeners)
    chat_id = ann.new_chat("Quarterly numbers")
    ann.say(chat_id, "hello sidebar")  # a chat reaches the account with its first message
    created = bob_side.wait_for_sidebar("chat.created", chat_id)
    assert created["title"] == "Quarterly numbers" and created["url"] == f"/chats/{chat_id}"
    ann.say(chat_id, "and again")
    touched = bob_side.wait_for_sidebar("chat.touched", chat_id)
    assert touched["updated_at"] >= created["updated_at"]

    ann.post(f"/chats/{chat_id}/rename", data={"title": "Q3 numbers"})
    assert bob_side.wait_for_sidebar("chat.updated", chat_id)["display_title"] == "Q3 numbers"

    ann.post(f"/chats/{chat_id}/delete")
    assert bob_side.wait_for_sidebar("chat.deleted", chat_id)["account_id"] == created["account_id"]
    assert [c for name, data in eve_side.events if name == "chats.changed" for c in data["changes"]
            if c["chat_id"] == chat_id] == []


def test_presence_and_typing_span_web_processes_and_stay_in_the_room(ann, bob_elsewhere, eve, chat_id, listeners):
    ann_live, bob_live = listening(ann, listeners), listening(bob_elsewhere, listeners)
    assert ann_live.join(chat_id)["ok"] and bob_live.join(chat_id)["ok"]
    assert [m["name"] for m in ann_live.wait_for_presence(2)] == ["Ann Lee", "Bob Stone"]

    assert bob_live.client.call("typing", {"chat_id": chat_id}, timeout=10) == {"ok": True}
    assert ann_live.wait_for_chat("typing", chat_id)["user"]["name"] == "Bob Stone"
    # An outsider cannot announce typing in a room it could not join.
    eve_live = listening(eve, listeners)
    assert eve_live.join(chat_id)["ok"] is False
    assert eve_live.client.call("typing", {"chat_id": chat_id}, timeout=10) == {"ok": False}

    bob_live.close()
    assert [m["name"] for m in ann_live.wait_for_presence(1)] == ["Ann Lee"]
