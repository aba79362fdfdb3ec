"""Live conversations on the real stack: web (eventlet), RQ workers, Redis, demo LLM (SPEC §4, §5)."""
from __future__ import annotations

import os
import signal
import threading
import time
import uuid

import requests

from app.demo_llm import script
from app.engine import live_state


def joined(member, chat_id, opened):
    listener = member.socket()
    opened.append(listener)
    ack = listener.join(chat_id)
    assert ack["ok"] is True
    return listener


def demo_verdict(stack, tag: str, timeout: float = 5) -> str | None:
    """What the demo LLM server says became of a request, once it knows."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        last = requests.get(f"{stack.demo_url}/_demo/requests/{tag}", timeout=5).json()["last"]
        if last:
            return last
        time.sleep(0.05)
    return None


def text_of(deltas):
    return "".join(d["text"] for d in deltas)


def test_two_members_receive_every_delta_in_order_and_the_stored_text_matches(ann, bob, chat_id, listeners):
    ann_live, bob_live = joined(ann, chat_id, listeners), joined(bob, chat_id, listeners)
    reply_id = bob.say(chat_id, "A long answer please [[chunks:120]] [[slow:3]]")["assistant_message"]["id"]
    for live in (ann_live, bob_live):
        done = live.wait_for("message.completed", reply_id)
        deltas = live.deltas(reply_id)
        assert [d["seq"] for d in deltas] == list(range(1, len(deltas) + 1))
        assert len(deltas) >= 100
        assert text_of(deltas) == done["message"]["content"]
        created = [d["message"]["role"] for n, d in live.events if n == "message.created"]
        assert created[-2:] == ["user", "assistant"]
    stored = ann.message(chat_id, reply_id)
    assert stored["status"] == "completed"
    assert stored["content"] == text_of(ann_live.deltas(reply_id))
    assert stored["output_tokens"] > 0 and stored["cost"] > 0 and stored["user"] is None
    assert stored["context"]["included"] == 1


def test_a_client_that_disconnects_mid_stream_and_rejoins_ends_with_the_identical_text(ann, chat_id, listeners):
    first = joined(ann, chat_id, listeners)
    reply_id = ann.say(chat_id, "Slow and steady [[slow:30]] [[chunks:60]]")["assistant_message"]["id"]
    while len(first.deltas(reply_id)) < 10:
        time.sleep(0.01)
    first.close()
    before = first.deltas(reply_id)
    time.sleep(0.3)
    second = ann.socket()
    listeners.append(second)
    ack = second.join(chat_id)
    snapshot = next(u for u in ack["unfinished"] if u["message"]["id"] == reply_id)
    assert snapshot["seq"] >= len(before)
    assert snapshot["message"]["content"].startswith(text_of(before))
    done = second.wait_for("message.completed", reply_id)
    later = [d for d in second.deltas(reply_id) if d["seq"] > snapshot["seq"]]
    assert [d["seq"] for d in later] == list(range(snapshot["seq"] + 1, snapshot["seq"] + 1 + len(later)))
    assert snapshot["message"]["content"] + text_of(later) == done["message"]["content"]
    assert ann.message(chat_id, reply_id)["content"] == done["message"]["content"]


def test_cancel_stops_the_upstream_stream_and_keeps_the_partial_text(ann, bob, chat_id, listeners, stack):
    live = joined(ann, chat_id, listeners)
    tag = f"cancel-{uuid.uuid4().hex[:8]}"
    reply_id = ann.say(chat_id, f"Go slowly [[slow:50]] [[chunks:200]] [[tag:{tag}]]")["assistant_message"]["id"]
    while len(live.deltas(reply_id)) < 5:
        time.sleep(0.01)
    response = bob.post(f"/chats/{chat_id}/messages/{reply_id}/cancel")
    assert response.status_code == 202
    done = live.wait_for("message.cancelled", reply_id)
    assert done["message"]["status"] == "cancelled"
    received = text_of(live.deltas(reply_id))
    assert done["message"]["content"] == received and 0 < len(live.deltas(reply_id)) < 100
    assert ann.message(chat_id, reply_id)["content"] == received
    assert demo_verdict(stack, tag) == "disconnected"


def test_429_then_success_is_retried_and_succeeds(ann, chat_id, listeners):
    live = joined(ann, chat_id, listeners)
    reply_id = ann.say(chat_id, f"busy {uuid.uuid4()} [[status:429x2]]")["assistant_message"]["id"]
    done = live.wait_for("message.completed", reply_id)
    assert done["message"]["content"].startswith("You said:")
    assert [d["seq"] for d in live.deltas(reply_id)][0] == 1


def test_401_fails_at_once_with_a_readable_error(ann, chat_id, listeners, stack):
    live = joined(ann, chat_id, listeners)
    tag = f"auth-{uuid.uuid4().hex[:8]}"
    reply_id = ann.say(chat_id, f"[[status:401]] [[tag:{tag}]]")["assistant_message"]["id"]
    failed = live.wait_for("message.failed", reply_id)
    assert "credentials" in failed["message"]["error"]
    assert requests.get(f"{stack.demo_url}/_demo/requests/{tag}", timeout=5).json()["states"] == ["status:401"]


def test_a_connection_dropped_mid_stream_fails_with_partial_content_kept(ann, chat_id, listeners):
    live = joined(ann, chat_id, listeners)
    prompt = f"drop {uuid.uuid4()} [[drop:6]] [[chunks:30]]"
    reply_id = ann.say(chat_id, prompt)["assistant_message"]["id"]
    failed = live.wait_for("message.failed", reply_id)
    partial = text_of(live.deltas(reply_id))
    sent = [{"role": "user", "content": prompt}]
    assert partial == "".join(script.split_chunks(script.answer_text(sent, script.plan_for(prompt)), 30)[:6])
    assert failed["message"]["content"] == partial
    assert ann.message(chat_id, reply_id)["content"] == partial


def test_a_worker_killed_mid_stream_leaves_the_reply_interrupted_within_the_bound(ann, chat_id, listeners, stack):
    live = joined(ann, chat_id, listeners)
    reply_id = ann.say(chat_id, "Long and slow [[slow:100]] [[chunks:300]]")["assistant_message"]["id"]
    while len(live.deltas(reply_id)) < 5:
        time.sleep(0.01)
    pid = int(stack.redis.get(live_state.heartbeat_key(reply_id)))
    os.kill(pid, signal.SIGKILL)
    interrupted = live.wait_for("message.interrupted", reply_id, timeout=60)
    partial = text_of(live.deltas(reply_id))
    assert interrupted["message"]["content"] == partial and partial
    assert ann.message(chat_id, reply_id)["status"] == "interrupted"
    follow_up = ann.say(chat_id, "Are you still there?")["assistant_message"]["id"]
    assert live.wait_for("message.completed", follow_up, timeout=30)


def test_three_messages_posted_at_once_each_get_exactly_one_answer_in_order(ann, bob, chat_id, listeners):
    live = joined(ann, chat_id, listeners)
    barrier = threading.Barrier(3)
    posted: dict[int, dict] = {}

    def post(i, member):
        barrier.wait()
        posted[i] = member.say(chat_id, f"simultaneous question {i}")

    threads = [threading.Thread(target=post, args=(i, m)) for i, m in enumerate((ann, bob, ann))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    replies = sorted(p["assistant_message"]["id"] for p in posted.values())
    for reply_id in replies:
        live.wait_for("message.completed", reply_id)
    messages = ann.messages(chat_id)
    users = [m for m in messages if m["role"] == "user"]
    assistants = [m for m in messages if m["role"] == "assistant"]
    assert len(users) == 3 and len(assistants) == 3
    assert [m["role"] for m in messages] == ["user", "assistant"] * 3
    for question, answer in zip(users, assistants):
        assert answer["reply_to_id"] == question["id"]
        assert answer["content"].count("> simultaneous question") == 1
        assert f"> {question['content']}" in answer["content"]
    completed = [d["message_id"] for n, d in live.events if n == "message.completed"]
    assert completed == replies


def test_two_chats_stream_at_the_same_time(ann, listeners):
    chats = [ann.new_chat("one"), ann.new_chat("two")]
    lives = [joined(ann, c, listeners) for c in chats]
    replies = [ann.say(c, "overlap [[slow:40]] [[chunks:40]]")["assistant_message"]["id"] for c in chats]
    for live, reply_id in zip(lives, replies):
        live.wait_for("message.completed", reply_id)
    (first_a, done_a), (first_b, done_b) = (
        (live.received_at("message.delta", reply_id), live.received_at("message.completed", reply_id))
        for live, reply_id in zip(lives, replies)
    )
    assert first_b < done_a and first_a < done_b


def test_deleting_a_chat_mid_stream_stops_the_upstream_stream(ann, listeners, stack):
    chat_id = ann.new_chat("doomed")
    live = joined(ann, chat_id, listeners)
    tag = f"delete-{uuid.uuid4().hex[:8]}"
    reply_id = ann.say(chat_id, f"Talk slowly [[slow:50]] [[chunks:200]] [[tag:{tag}]]")["assistant_message"]["id"]
    while len(live.deltas(reply_id)) < 3:
        time.sleep(0.01)
    assert ann.post(f"/chats/{chat_id}/delete").status_code == 200
    assert demo_verdict(stack, tag) == "disconnected"
    assert ann.http.get(f"{ann.url}/chats/{chat_id}", timeout=10).status_code == 404
    follow_up_chat = ann.new_chat("after")
    after = joined(ann, follow_up_chat, listeners)
    reply = ann.say(follow_up_chat, "still working?")["assistant_message"]["id"]
    assert after.wait_for("message.completed", reply)


def test_a_reply_with_nul_characters_is_stored(ann, chat_id, listeners):
    live = joined(ann, chat_id, listeners)
    reply_id = ann.say(chat_id, "odd provider [[nul]] [[chunks:20]]")["assistant_message"]["id"]
    done = live.wait_for("message.completed", reply_id)
    assert "\x00" not in done["message"]["content"] and done["message"]["content"].startswith("You said:")
    assert ann.message(chat_id, reply_id)["content"] == done["message"]["content"]
