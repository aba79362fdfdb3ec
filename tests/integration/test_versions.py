"""Regenerate, retry, edit and switch versions on the real stack (issue 13): nothing is lost,
every member follows, the model is sent only the shown path, and the one-reply-at-a-time
rule still holds."""
from __future__ import annotations

import time


def shown(member, chat_id: int) -> list[dict]:
    return member.messages(chat_id)


def wait_until_done(member, chat_id: int, message_id: int, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in member.http.get(f"{member.url}/chats/{chat_id}/messages", timeout=10).json()["messages"]
                 if m["id"] == message_id]
        if found and found[0]["status"] not in ("pending", "streaming"):
            return found[0]
        time.sleep(0.1)
    raise TimeoutError(f"message {message_id} did not finish")


def test_regenerate_keeps_the_old_answer_and_streams_a_new_one_to_both_members(ann, bob, chat_id, listeners):
    ann_live, bob_live = ann.socket(), bob.socket()
    listeners.extend([ann_live, bob_live])
    assert ann_live.join(chat_id)["ok"] and bob_live.join(chat_id)["ok"]
    first = ann.say(chat_id, "Name a colour [[chunks:20]]")["assistant_message"]["id"]
    ann_live.wait_for("message.completed", first)

    response = bob.post(f"/chats/{chat_id}/messages/{first}/regenerate", data={"model_id": "demo-fast"})
    assert response.status_code == 202
    new = response.json()["assistant_message"]
    assert new["id"] == response.json()["leaf_id"]
    assert new["model_id"] == "demo-fast" and new["siblings"] == [first, new["id"]] and new["sibling_index"] == 2
    for listener in (ann_live, bob_live):
        done = listener.wait_for("message.completed", new["id"])
        assert listener.deltas(new["id"]) and done["message"]["content"].startswith("You said")
        assert done["message"]["siblings"] == [first, new["id"]] and done["message"]["sibling_index"] == 2
        assert listener.wait_for_chat("chat.path", chat_id)["leaf_id"] == new["id"]
    path = shown(ann, chat_id)
    assert [m["id"] for m in path][-1] == new["id"] and first not in [m["id"] for m in path]
    assert path[-1]["siblings"] == [first, new["id"]]

    # Switching back shows the first answer again, for everyone.
    assert ann.post(f"/chats/{chat_id}/messages/{first}/show").json()["leaf_id"] == first
    assert bob_live.wait_for_chat("chat.path", chat_id)
    assert [m["id"] for m in shown(bob, chat_id)][-1] == first


def test_retry_after_a_failure_answers_the_same_question(ann, chat_id):
    failed = ann.say(chat_id, "Fail first [[status:401x1]] [[tag:retry-me]]")["assistant_message"]["id"]
    assert wait_until_done(ann, chat_id, failed)["status"] == "failed"
    retried = ann.post(f"/chats/{chat_id}/messages/{failed}/regenerate").json()["assistant_message"]["id"]
    done = wait_until_done(ann, chat_id, retried)
    assert done["status"] == "completed" and "Fail first" in done["content"]
    assert done["siblings"] == [failed, retried]


def test_edit_branches_and_the_model_is_sent_only_the_new_path_until_switched_back(ann, bob, chat_id):
    first = ann.say(chat_id, "Plan A please")
    wait_until_done(ann, chat_id, first["assistant_message"]["id"])
    second = ann.say(chat_id, "And then? [[history]]")
    reply = wait_until_done(ann, chat_id, second["assistant_message"]["id"])
    assert "I was sent: Plan A please | And then?." in reply["content"]

    edited = ann.post(f"/chats/{chat_id}/messages/{first['user_message']['id']}/edit",
                      data={"content": "Plan B instead [[history]]"})
    assert edited.status_code == 202
    new_reply = wait_until_done(ann, chat_id, edited.json()["assistant_message"]["id"])
    assert "I was sent: Plan B instead." in new_reply["content"]  # not Plan A, not "And then?"
    assert [m["content"] for m in shown(bob, chat_id)] == ["Plan B instead [[history]]", new_reply["content"]]
    assert shown(bob, chat_id)[0]["siblings"] == [first["user_message"]["id"], edited.json()["user_message"]["id"]]

    # Bob switches back to the first question: its old answers come back, and the next
    # question continues from them.
    assert bob.post(f"/chats/{chat_id}/messages/{first['user_message']['id']}/show").status_code == 200
    assert [m["id"] for m in shown(ann, chat_id)] == [first["user_message"]["id"], first["assistant_message"]["id"],
                                                      second["user_message"]["id"], reply["id"]]
    third = ann.say(chat_id, "Go on [[history]]")
    continued = wait_until_done(ann, chat_id, third["assistant_message"]["id"])
    assert "I was sent: Plan A please | And then? | Go on." in continued["content"]
    assert third["user_message"]["parent_id"] == reply["id"]


def test_regenerating_while_another_reply_streams_is_queued_not_dropped(ann, chat_id, listeners):
    live = ann.socket()
    listeners.append(live)
    assert live.join(chat_id)["ok"]
    done = ann.say(chat_id, "short one")["assistant_message"]["id"]
    live.wait_for("message.completed", done)
    slow = ann.say(chat_id, "a long one [[slow:20]] [[chunks:60]]")["assistant_message"]["id"]
    live.wait_for("message.delta", slow)
    again = ann.post(f"/chats/{chat_id}/messages/{done}/regenerate")
    assert again.status_code == 202
    again_id = again.json()["assistant_message"]["id"]
    slow_done = live.wait_for("message.completed", slow)
    again_done = live.wait_for("message.completed", again_id)
    assert slow_done["message"]["status"] == "completed" and again_done["message"]["status"] == "completed"
    assert live.received_at("message.delta", again_id) > live.received_at("message.completed", slow)
    # Regenerating an answer still being written is refused, not queued twice.
    streaming = ann.say(chat_id, "another long one [[slow:20]] [[chunks:40]]")["assistant_message"]["id"]
    refused = ann.post(f"/chats/{chat_id}/messages/{streaming}/regenerate")
    assert refused.status_code == 409 and "still being written" in refused.json()["error"]["message"]
    live.wait_for("message.completed", streaming)


def test_only_the_author_edits_and_outsiders_can_do_nothing(ann, bob, eve, chat_id):
    asked = ann.say(chat_id, "Ann's own question")
    wait_until_done(ann, chat_id, asked["assistant_message"]["id"])
    question, answer = asked["user_message"]["id"], asked["assistant_message"]["id"]
    refused = bob.post(f"/chats/{chat_id}/messages/{question}/edit", data={"content": "Bob's words"})
    assert refused.status_code == 403
    for path, data in ((f"{question}/edit", {"content": "x"}), (f"{answer}/regenerate", {}), (f"{answer}/show", {})):
        assert eve.post(f"/chats/{chat_id}/messages/{path}", data=data).status_code == 404
    eve_socket = eve.socket()
    try:
        assert eve_socket.client.call("regenerate", {"chat_id": chat_id, "message_id": answer}, timeout=10) == {
            "ok": False, "error": "Message not found."}
    finally:
        eve_socket.close()
    assert [m["content"] for m in shown(ann, chat_id)][-2] == "Ann's own question"
