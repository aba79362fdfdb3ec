"""The streaming engine on the real stack: many replies per worker process, each an RQ job,
and a killed process leaving every reply it streamed ``interrupted`` (SPEC §4, §11)."""
from __future__ import annotations

import os
import signal
import time
from collections import Counter

from rq import Queue

from app.demo_llm import script
from app.engine import live_state


def _listen(member, chat_ids, opened):
    lives = []
    for chat_id in chat_ids:
        live = member.socket()
        opened.append(live)
        assert live.join(chat_id)["ok"] is True
        lives.append(live)
    return lives


def _close(opened):
    for live in opened:
        live.close()


def test_more_replies_stream_at_once_than_there_are_worker_processes(ann, stack):
    count = 3 * stack.workers
    chats = [ann.new_chat(f"wide {i}") for i in range(count)]
    opened: list = []
    try:
        lives = _listen(ann, chats, opened)
        replies = [ann.say(c, f"wide {i} [[slow:40]] [[chunks:40]]")["assistant_message"]["id"]
                   for i, c in enumerate(chats)]
        done = [live.wait_for("message.completed", r, timeout=60) for live, r in zip(lives, replies)]
        spans = [(live.received_at("message.delta", r), live.received_at("message.completed", r))
                 for live, r in zip(lives, replies)]
        streaming_at_once = max(sum(1 for first, end in spans if first <= moment < end) for moment, _ in spans)
        assert streaming_at_once > stack.workers
        for live, reply_id, completed in zip(lives, replies, done):
            deltas = live.deltas(reply_id)
            assert [d["seq"] for d in deltas] == list(range(1, len(deltas) + 1))
            assert "".join(d["text"] for d in deltas) == completed["message"]["content"]
            assert ann.message(chats[replies.index(reply_id)], reply_id)["content"] == completed["message"]["content"]
        finished = Queue(stack.queue_name, connection=stack.redis).finished_job_registry.get_job_ids()
        assert len(finished) >= count
    finally:
        _close(opened)


def test_a_killed_worker_process_leaves_every_reply_it_streamed_interrupted(ann, stack):
    chats = [ann.new_chat(f"doomed {i}") for i in range(2 * stack.workers + 2)]
    opened: list = []
    try:
        lives = _listen(ann, chats, opened)
        replies = [ann.say(c, f"long {i} [[slow:100]] [[chunks:300]]")["assistant_message"]["id"]
                   for i, c in enumerate(chats)]
        deadline = time.monotonic() + 30
        while not all(len(live.deltas(r)) >= 3 for live, r in zip(lives, replies)):
            assert time.monotonic() < deadline, "replies did not start streaming"
            time.sleep(0.02)
        owners = {r: int(stack.redis.get(live_state.heartbeat_key(r))) for r in replies}
        victim, streamed_there = Counter(owners.values()).most_common(1)[0]
        assert streamed_there >= 2, owners
        os.kill(victim, signal.SIGKILL)
        for live, reply_id in zip(lives, replies):
            if owners[reply_id] != victim:
                continue
            interrupted = live.wait_for("message.interrupted", reply_id, timeout=60)
            partial = "".join(d["text"] for d in live.deltas(reply_id))
            assert partial and interrupted["message"]["content"] == partial
        for live, reply_id in zip(lives, replies):
            if owners[reply_id] != victim:
                assert ann.post(f"/chats/{chats[replies.index(reply_id)]}/messages/{reply_id}/cancel").status_code == 202
                live.wait_for("message.cancelled", reply_id, timeout=30)
    finally:
        _close(opened)


def test_content_streamed_as_typed_parts_is_stored_as_answer_and_reasoning(ann, chat_id):
    opened: list = []
    try:
        (live,) = _listen(ann, [chat_id], opened)
        prompt = "typed parts [[parts]] [[reason]] [[chunks:15]]"
        reply_id = ann.say(chat_id, prompt)["assistant_message"]["id"]
        done = live.wait_for("message.completed", reply_id)["message"]
        sent = [{"role": "user", "content": prompt}]
        assert done["content"] == script.answer_text(sent, script.plan_for(prompt))
        assert done["reasoning"] == script.reasoning_text(prompt)
        assert "".join(d["text"] for d in live.deltas(reply_id, "reasoning")) == done["reasoning"]
    finally:
        _close(opened)
