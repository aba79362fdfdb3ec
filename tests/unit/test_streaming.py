"""Reply streaming in-process: the job's service code against the demo LLM over HTTP,
events observed by Socket.IO test clients of two members (SPEC §4, §5)."""
from __future__ import annotations

import logging
import sys
import threading
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
import sqlalchemy as sa
from rq import Queue

from app.config import TestConfig
from app.engine import live_state, parts
from app.engine.rq_worker import ConcurrentWorker
from app.extensions import db, socketio
from app.jobs.context import set_job_app
from app.jobs.replies import answer_pending_messages
from app.demo_llm import script
from app.models import Chat, LlmModel, LlmProvider, Message
from app.models.base import utcnow
from app.platform.queue import REPLY_JOB_TIMEOUT
from app.platform.redis_client import get_redis
from app.realtime import bus
from app.replies import store, sweeper, titles
from tests.conftest import AuthActions
from tests.support.html_safety import executable_parts
from tests.support.people import add_member
from tests.support.chats import empty_chat


class FastRetryConfig(TestConfig):
    LLM_RETRY_BASE_SECONDS = 0.01


@pytest.fixture
def app_config():
    return FastRetryConfig


@pytest.fixture
def room(app, client, demo_llm):
    """Ann's chat with Bob as a member; both connected to its room."""
    provider = db.session.execute(sa.select(LlmProvider).where(LlmProvider.key == "demo")).scalar_one()
    provider.base_url = f"{demo_llm}/v1"
    db.session.commit()
    set_job_app(app)
    bob_client = app.test_client()
    AuthActions(bob_client).signup("Bob Stone", "bob@example.com")
    ann = AuthActions(client)
    ann.signup("Ann Lee", "ann@example.com")
    empty_chat(client)
    chat = db.session.execute(sa.select(Chat)).scalar_one()
    add_member(chat.account_id, "bob@example.com")
    sockets = []
    for flask_client in (client, bob_client):
        sock = socketio.test_client(app, flask_test_client=flask_client)
        ack = sock.emit("join", {"chat_id": chat.id}, callback=True)
        assert ack == {"ok": True, "unfinished": []}
        sockets.append(sock)
    yield chat, client, bob_client, sockets
    for sock in sockets:
        sock.disconnect()
    set_job_app(None)


def say(flask_client, chat_id: int, content: str) -> dict:
    response = flask_client.post(f"/chats/{chat_id}/messages", data={"content": content},
                                 headers={"X-Requested-With": "fetch"})
    assert response.status_code == 202, response.data
    return response.get_json()


def record_delta(message_id: int, seq: int, text: str, channel: str = "content") -> None:
    """Live state as the relay leaves it after sending one delta."""
    script = get_redis().register_script(bus.PUBLISH_WITH_WRITES)
    live_state.record_deltas(script, [(message_id, channel, text)], {message_id: seq})


def events(sock, name: str | None = None) -> list[dict]:
    received = sock.get_received()
    return [(e["name"], e["args"][0]) for e in received if name is None or e["name"] == name]


def deltas_for(received: list, message_id: int, channel: str = "content") -> list[dict]:
    return [d for n, d in received if n == "message.delta" and d["message_id"] == message_id and d["channel"] == channel]


def test_both_members_receive_every_delta_in_order_and_stored_content_matches(room):
    chat, ann, _, sockets = room
    posted = say(ann, chat.id, "Tell us a story [[chunks:30]] [[slow:5]]")
    reply_id = posted["assistant_message"]["id"]
    assert answer_pending_messages(chat.id) == 1
    message = db.session.get(Message, reply_id)
    assert message.status == "completed"
    for sock in sockets:
        received = events(sock)
        names = [n for n, _ in received]
        assert names.count("message.created") == 2
        deltas = [d for n, d in received if n == "message.delta"]
        assert [d["seq"] for d in deltas] == list(range(1, len(deltas) + 1))
        assert len(deltas) >= 25
        assert "".join(d["text"] for d in deltas) == message.content
        done = [d for n, d in received if n == "message.completed"]
        assert len(done) == 1 and done[0]["message"]["content"] == message.content
        assert "<blockquote>" in done[0]["message"]["html"]
        assert done[0]["message"]["output_tokens"] > 0 and done[0]["message"]["cost"] > 0
    assert message.input_tokens > 0 and float(message.cost) > 0
    assert message.context_report["included"] == 1


def test_reasoning_is_stored_apart_and_streamed_on_its_own_channel(room):
    chat, ann, _, sockets = room
    reply_id = say(ann, chat.id, "Think [[reason]]")["assistant_message"]["id"]
    answer_pending_messages(chat.id)
    message = db.session.get(Message, reply_id)
    received = events(sockets[1])
    assert "".join(d["text"] for d in deltas_for(received, reply_id, "reasoning")) == message.reasoning
    assert message.reasoning and message.reasoning not in message.content
    seqs = [d["seq"] for n, d in received if n == "message.delta"]
    assert seqs == list(range(1, len(seqs) + 1))


def test_model_output_with_html_is_sanitised(room):
    chat, ann, _, sockets = room
    payload = '<script>alert(1)</script> <img src=x onerror="alert(2)"> [click](javascript:alert(3))'
    reply_id = say(ann, chat.id, payload)["assistant_message"]["id"]
    answer_pending_messages(chat.id)
    done = [d for n, d in events(sockets[0]) if n == "message.completed"][0]["message"]
    assert executable_parts(done["html"]) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in done["html"]
    assert "<script>" in db.session.get(Message, reply_id).content
    page = ann.get(f"/chats/{chat.id}").data.decode()
    messages_html = page.split('id="messages"')[1].split('id="composer"')[0]
    assert executable_parts(messages_html) == []
    assert "alert(2)" in messages_html


def test_429_then_success_is_retried_and_succeeds(room, demo_llm):
    chat, ann, _, _ = room
    reply_id = say(ann, chat.id, f"busy {uuid.uuid4()} [[status:429x2]]")["assistant_message"]["id"]
    answer_pending_messages(chat.id)
    message = db.session.get(Message, reply_id)
    assert message.status == "completed" and message.content.startswith("You said:")


def test_401_fails_at_once_with_a_readable_error(room):
    chat, ann, _, sockets = room
    reply_id = say(ann, chat.id, f"auth {uuid.uuid4()} [[status:401x1]]")["assistant_message"]["id"]
    answer_pending_messages(chat.id)
    message = db.session.get(Message, reply_id)
    assert message.status == "failed" and "credentials" in message.error
    failed = [d for n, d in events(sockets[1]) if n == "message.failed"]
    assert failed[0]["message"]["error"] == message.error


def test_dropped_connection_fails_and_keeps_partial_content(room):
    chat, ann, _, sockets = room
    reply_id = say(ann, chat.id, f"drop {uuid.uuid4()} [[drop:4]] [[chunks:20]]")["assistant_message"]["id"]
    answer_pending_messages(chat.id)
    message = db.session.get(Message, reply_id)
    assert message.status == "failed"
    partial = "".join(d["text"] for d in deltas_for(events(sockets[0]), reply_id))
    assert message.content == partial and len(partial) > 0


def test_messages_posted_together_are_answered_once_each_in_order(room):
    chat, ann, bob, sockets = room
    ids = [say(c, chat.id, f"question {i}")["assistant_message"]["id"] for i, c in enumerate((ann, bob, ann))]
    assert answer_pending_messages(chat.id) == 3
    replies = [db.session.get(Message, i) for i in ids]
    assert [r.status for r in replies] == ["completed"] * 3
    for i, reply in enumerate(replies):
        assert f"> question {i}" in reply.content
    completed = [d["message_id"] for n, d in events(sockets[0]) if n == "message.completed"]
    assert completed == ids
    assert answer_pending_messages(chat.id) == 0


def test_join_snapshot_carries_content_so_far_and_last_seq(room, app):
    chat, ann, _, _ = room
    reply_id = say(ann, chat.id, "hello")["assistant_message"]["id"]
    db.session.get(Message, reply_id).status = "streaming"
    db.session.commit()
    record_delta(reply_id, 1, "Hel")
    record_delta(reply_id, 2, "lo")
    late = socketio.test_client(app, flask_test_client=ann)
    ack = late.emit("join", {"chat_id": chat.id}, callback=True)
    assert ack["ok"] is True
    assert [(u["message"]["id"], u["message"]["content"], u["seq"]) for u in ack["unfinished"]] == [(reply_id, "Hello", 2)]
    late.disconnect()


def test_unauthenticated_socket_is_refused(app):
    sock = socketio.test_client(app)
    assert not sock.is_connected()


@pytest.mark.parametrize("payload", [{"chat_id": 999999}, {"chat_id": "abc"}, {}, "nonsense", None, {"chat_id": True}, {"chat_id": 10**20}, {"chat_id": -1}, {"chat_id": [1]}])
def test_non_member_or_bad_join_is_refused(room, app, payload):
    chat, _, _, _ = room
    eve_client = app.test_client()
    AuthActions(eve_client).signup("Eve", "eve@example.com")
    eve = socketio.test_client(app, flask_test_client=eve_client)
    assert eve.emit("join", {"chat_id": chat.id}, callback=True) == {"ok": False, "error": "Chat not found."}
    assert eve.emit("join", payload, callback=True)["ok"] is False
    eve.disconnect()


def test_sweeper_marks_a_reply_without_heartbeat_interrupted_keeping_text(room):
    chat, ann, _, sockets = room
    reply_id = say(ann, chat.id, "hello")["assistant_message"]["id"]
    message = db.session.get(Message, reply_id)
    message.status, message.content = "streaming", "Hel"
    db.session.commit()
    db.session.execute(sa.update(Message).where(Message.id == reply_id).values(updated_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    record_delta(reply_id, 1, "Hello there")
    result = sweeper.sweep()
    assert result.interrupted == 1
    db.session.expire_all()
    message = db.session.get(Message, reply_id)
    assert message.status == "interrupted" and message.content == "Hello there"
    assert [d["message"]["status"] for n, d in events(sockets[1]) if n == "message.interrupted"] == ["interrupted"]
    assert sweeper.sweep().interrupted == 0


def test_first_exchange_gets_a_short_title(room):
    chat, ann, _, sockets = room
    say(ann, chat.id, "Planning the quarterly offsite in Lisbon next spring")
    answer_pending_messages(chat.id)
    title = titles.generate_title(chat.id, logging.getLogger("test"))
    db.session.expire_all()
    assert db.session.get(Chat, chat.id).title == title
    assert title == "Planning quarterly offsite in Lisbon"  # the demo model titles by the question
    updates = [d for n, d in events(sockets[0]) if n == "chat.updated"]
    assert updates[-1]["title"] == title


def test_database_writes_while_streaming_are_bounded_by_time_not_chunks(room, app):
    chat, ann, _, _ = room
    say(ann, chat.id, "many small chunks [[chunks:400]] [[slow:2]]")
    writes = []

    def count_updates(conn, cursor, statement, *args):
        if statement.startswith("UPDATE messages SET content"):
            writes.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count_updates)
    started = time.monotonic()
    answer_pending_messages(chat.id)
    duration = time.monotonic() - started
    sa.event.remove(db.engine, "before_cursor_execute", count_updates)
    assert duration > 0.8
    assert len(writes) <= duration / 0.5 + 1


def test_live_state_expires_only_after_the_longest_a_reply_may_stream(app):
    client = get_redis()
    pipe = client.pipeline()
    live_state.reset(pipe, 4242)
    pipe.execute()
    record_delta(4242, 1, "Hi")
    record_delta(4242, 2, "hmm", "reasoning")
    ttls = [client.ttl(k) for k in ("confab:msg:4242:content", "confab:msg:4242:reasoning", "confab:msg:4242:seq")]
    assert all(REPLY_JOB_TIMEOUT < ttl <= live_state.STATE_TTL for ttl in ttls)
    assert live_state.snapshot(4242) == {"content": "Hi", "reasoning": "hmm", "seq": 2}


def test_a_reply_job_past_its_time_limit_ends_failed_and_stops_its_stream(room, demo_llm):
    """Through RQ itself: the concurrent worker runs the job in a thread with RQ's time limit."""
    chat, ann, _, sockets = room
    tag = f"limit-{uuid.uuid4().hex[:8]}"
    reply_id = say(ann, chat.id, f"never ending [[slow:100]] [[chunks:300]] [[tag:{tag}]]")["assistant_message"]["id"]
    queue = Queue("time-limit", connection=get_redis())
    get_redis().delete(queue.key)
    job = queue.enqueue("app.jobs.replies.answer_pending_messages", chat.id, job_timeout=1)
    ConcurrentWorker.configured(4)([queue], connection=get_redis()).work(burst=True)
    db.session.expire_all()
    message = db.session.get(Message, reply_id)
    assert message.status == "failed" and "longer than Confab allows" in message.error
    assert message.content and message.content.startswith("You said:")
    assert job.get_status(refresh=True) == "failed"
    assert queue.failed_job_registry.get_job_ids() == [job.id]
    failed = [d for n, d in events(sockets[1]) if n == "message.failed"]
    assert failed[-1]["message"]["content"] == message.content
    deadline, verdict = time.monotonic() + 5, None
    while verdict is None and time.monotonic() < deadline:
        verdict = requests.get(f"{demo_llm}/_demo/requests/{tag}", timeout=5).json()["last"]
        time.sleep(0.05)
    assert verdict == "disconnected"


def test_a_claim_that_cannot_be_committed_leaves_its_reply_pending_and_its_request_closed(room, demo_llm):
    """The claim is committed while the model request is on its way: if that commit fails, the
    request is closed, the reply stays pending and the chat's lock is released for the next job."""
    chat, ann, _, _ = room
    tag = f"claim-{uuid.uuid4().hex[:8]}"
    reply_id = say(ann, chat.id, f"Hello [[slow:30]] [[chunks:10]] [[tag:{tag}]]")["assistant_message"]["id"]
    failed = []

    def fail_the_first_commit(_session) -> None:
        if not failed:
            failed.append(True)
            raise sa.exc.OperationalError("COMMIT", {}, ConnectionError("the database went away"))

    sa.event.listen(db.session, "before_commit", fail_the_first_commit)
    try:
        with pytest.raises(sa.exc.OperationalError):
            answer_pending_messages(chat.id)
    finally:
        sa.event.remove(db.session, "before_commit", fail_the_first_commit)
    db.session.remove()
    assert db.session.get(Message, reply_id).status == "pending"
    time.sleep(0.6)  # a stream left open would have completed by now
    assert requests.get(f"{demo_llm}/_demo/requests/{tag}", timeout=5).json()["last"] in (None, "disconnected")
    assert answer_pending_messages(chat.id) == 1
    message = db.session.get(Message, reply_id)
    assert message.status == "completed" and message.content.startswith("You said:")


@pytest.mark.parametrize("raw", ["²", "１", "1²", "٣"])
def test_a_member_joining_with_digits_that_are_not_ascii_gets_a_refusal(room, app, raw):
    chat, ann, _, _ = room
    sock = socketio.test_client(app, flask_test_client=ann)
    assert sock.emit("join", {"chat_id": raw}, callback=True) == {"ok": False, "error": "Chat not found."}
    assert sock.emit("join", {"chat_id": str(chat.id)}, callback=True)["ok"] is True
    sock.disconnect()


def test_a_job_answers_a_chat_asked_again_meanwhile_with_one_claim_per_reply(room, demo_llm, monkeypatch):
    """Each reply is claimed once; the look for more after the lock finds the next in order."""
    chat, ann, _, _ = room
    first = say(ann, chat.id, "first [[chunks:3]]")["assistant_message"]["id"]
    second = say(ann, chat.id, "second [[chunks:3]]")["assistant_message"]["id"]
    claims = []
    claim_next = store.claim_next

    def counted(chat_id: int):
        claimed = claim_next(chat_id)
        claims.append(claimed.message_id if claimed else None)
        return claimed

    monkeypatch.setattr(store, "claim_next", counted)
    assert answer_pending_messages(chat.id) == 2
    assert claims == [first, second]
    db.session.expire_all()
    assert [db.session.get(Message, i).status for i in (first, second)] == ["completed", "completed"]


def _stack_of(thread: threading.Thread) -> list[str]:
    """The names of the functions ``thread`` is in now, innermost first."""
    frame, names = sys._current_frames().get(thread.ident), []
    while frame is not None:
        names.append(frame.f_code.co_name)
        frame = frame.f_back
    return names


def test_a_reply_whose_stream_ended_waits_for_a_finishing_place_before_it_is_stored_and_announced(room, app):
    chat, ann, _, sockets = room
    reply_id = say(ann, chat.id, "Wait your turn [[chunks:3]]")["assistant_message"]["id"]
    places = parts.finishing()
    for _ in range(app.config["FINISHING_AT_ONCE"]):
        places.acquire()  # every place taken, as by replies ending together
    job = threading.Thread(target=answer_pending_messages, args=(chat.id,), daemon=True)
    try:
        job.start()
        deadline = time.monotonic() + 20
        while not ("stream_reply" in _stack_of(job) and "acquire" in _stack_of(job)):
            assert job.is_alive() and time.monotonic() < deadline, "the job never waited for a place"
            time.sleep(0.01)
        assert live_state.snapshot(reply_id)["seq"] >= 1  # streamed in full meanwhile
        db.session.expire_all()
        assert db.session.get(Message, reply_id).status == "streaming"
        assert not [n for n, _ in events(sockets[1]) if n == "message.completed"]
    finally:
        for _ in range(app.config["FINISHING_AT_ONCE"]):
            places.release()
    job.join(timeout=20)
    db.session.expire_all()
    assert db.session.get(Message, reply_id).status == "completed"
    assert [d["message_id"] for n, d in events(sockets[1]) if n == "message.completed"] == [reply_id]


def test_a_finishing_setting_below_one_still_lets_replies_finish(room, app):
    chat, ann, _, _ = room
    app.config["FINISHING_AT_ONCE"] = 0
    app.extensions.pop("confab.finishing", None)
    reply_id = say(ann, chat.id, "Finish anyway [[chunks:2]]")["assistant_message"]["id"]
    job = threading.Thread(target=answer_pending_messages, args=(chat.id,), daemon=True)
    job.start()
    job.join(timeout=20)
    assert not job.is_alive(), "the reply never found a place to finish"
    db.session.expire_all()
    assert db.session.get(Message, reply_id).status == "completed"


def test_a_reply_from_a_provider_reporting_usage_in_every_chunk_is_stored_with_its_last_report(room):
    """Perplexity's shape (usage so far in every chunk) and Mistral's nested thinking parts:
    the reply stores the same tokens and cost as a provider reporting once, and its reasoning."""
    chat, ann, _, _ = room
    stored = []
    for directive in ("[[usage:every]]", "[[usage:xxxxx]]"):  # the same length: the same prompt tokens
        reply_id = say(ann, chat.id if not stored else empty_chat(ann).id,
                       f"Weigh it {directive} [[parts:nested]] [[reason]] [[chunks:20]]")["assistant_message"]["id"]
        answer_pending_messages(db.session.get(Message, reply_id).chat_id)
        stored.append(reply_id)
    db.session.expire_all()  # the job stored them in a session of its own
    every, once = (db.session.get(Message, reply_id) for reply_id in stored)
    assert every.status == once.status == "completed"
    assert every.reasoning == script.reasoning_text("Weigh it [[reason]]") and every.reasoning
    assert every.reasoning not in every.content
    assert every.output_tokens == script.count_tokens(every.content) + script.count_tokens(every.reasoning)
    assert every.reasoning_tokens == script.count_tokens(every.reasoning)
    assert (every.input_tokens, every.output_tokens, every.cost) == (once.input_tokens, once.output_tokens, once.cost)
    model = db.session.get(LlmModel, every.model_id)
    assert every.cost == model.cost(every.input_tokens, every.cached_tokens, every.output_tokens)


def test_a_reply_whose_provider_states_its_cost_stores_that_cost_and_says_so(room):
    chat, ann, _, sockets = room
    reply_id = say(ann, chat.id, "Bill me [[cost:perplexity]]")["assistant_message"]["id"]
    answer_pending_messages(chat.id)
    db.session.expire_all()
    message = db.session.get(Message, reply_id)
    stated = script.stated_cost(script.plan_for("[[cost:perplexity]]"), message.input_tokens, message.output_tokens)
    assert message.cost == Decimal(str(stated["total_cost"]))  # with Perplexity's request fee
    model = db.session.get(LlmModel, message.model_id)
    assert message.cost != model.cost(message.input_tokens, message.cached_tokens, message.output_tokens)
    assert message.context_report["cost_source"] == "provider"
    done = [d for n, d in events(sockets[1]) if n == "message.completed"][0]["message"]
    assert done["context"]["cost_source"] == "provider"
    assert "(as the provider billed it)" in ann.get(f"/chats/{chat.id}").get_data(as_text=True)
