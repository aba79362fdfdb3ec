"""The reply job's reads and writes (``app/replies/store.py``): replies claimed oldest
first and once each, a claim in one transaction with the reads that start its reply, a history
in one statement (one more each for files and tool calls, only when the path has them), and a
finished reply stored and completed from its row."""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.conversations.posting import post_user_message
from app.extensions import db
from app.models import Chat, Message, ToolCall
from app.replies import store, workflow
from tests.support.attachments import stored_attachment
from tests.support.chats import member_with_chat
from tests.support.queries import recorded_statements


@pytest.fixture
def ann_chat(app):
    return member_with_chat()


def _status(message_id: int) -> str:
    return db.session.execute(sa.select(Message.status).where(Message.id == message_id)).scalar_one()


def test_replies_are_claimed_oldest_first_and_each_only_once(ann_chat):
    ann, chat = ann_chat
    _, first = post_user_message(chat, ann, "One")
    _, second = post_user_message(chat, ann, "Two")
    db.session.commit()
    first_id, second_id, chat_id = first.id, second.id, chat.id
    assert store.claim_next(chat_id).message_id == first_id
    db.session.commit()
    assert store.claim_next(chat_id).message_id == second_id
    db.session.commit()
    assert store.claim_next(chat_id) is None
    assert store.next_pending(chat_id) is None
    assert _status(first_id) == _status(second_id) == "streaming"


def test_a_claim_and_the_reads_that_start_its_reply_share_one_transaction(ann_chat):
    ann, chat = ann_chat
    _, reply = post_user_message(chat, ann, "Hello")
    db.session.commit()
    reply_id, chat_id = reply.id, chat.id
    commits: list[object] = []

    def record(connection) -> None:
        commits.append(connection)

    sa.event.listen(db.engine, "commit", record)
    try:
        claimed = store.claim_next(chat_id)
        started = workflow._start(claimed)
    finally:
        sa.event.remove(db.engine, "commit", record)
    assert claimed.message_id == reply_id
    assert commits == []  # the job commits the claim once its model request is on its way
    assert started.request[-1]["content"] == "Hello"
    db.session.commit()
    db.session.remove()
    assert _status(reply_id) == "streaming"


def test_a_claimed_reply_brings_its_chat_model_provider_and_question_in_one_statement(ann_chat):
    ann, chat = ann_chat
    chat.instructions = "Be brief."
    question, reply = post_user_message(chat, ann, "What is new?")
    db.session.commit()
    reply_id, question_id, ann_id = reply.id, question.id, ann.id
    with recorded_statements() as statements:
        claimed = store.claimed(reply_id)
    assert len(statements) == 1
    assert (claimed.asked, claimed.asker_id, claimed.instructions, claimed.parent_id) == \
        ("What is new?", ann_id, "Be brief.", question_id)
    assert claimed.model.id == "demo-chat" and claimed.model.provider.key == "demo"
    assert store.claimed(10**9) is None


def test_a_history_costs_one_statement_and_one_more_for_each_kind_of_extra_it_holds(ann_chat):
    ann, chat = ann_chat
    question, reply = post_user_message(chat, ann, "Plain")
    db.session.commit()
    parent_id = reply.parent_id
    with recorded_statements() as statements:
        plain = store.history(parent_id)
    assert len(statements) == 1
    assert [(m.role, m.content, m.user.name) for m in plain] == [("user", "Plain", "Ann Lee")]
    assert plain[0].attachments == [] and plain[0].tool_calls == []

    reply.status, reply.content = "completed", "42"
    reply.tool_calls.append(ToolCall(tool_call_id="c1", name="calculator", arguments={"expression": "6*7"},
                                     round=1, status="ok", result="42"))
    later_question, later_reply = post_user_message(chat, ann, "And this file?")
    stored_attachment(later_question, b"a,b\n1,2\n", "table.csv", "text/csv")
    db.session.commit()
    parent_id = later_reply.parent_id
    with recorded_statements() as statements:
        full = store.history(parent_id)
    assert len(statements) == 3
    assert [m.role for m in full] == ["user", "assistant", "user"]
    assert [c.result for c in full[1].tool_calls] == ["42"]
    assert [a.filename for a in full[2].attachments] == ["table.csv"] and full[2].attachments[0].kind == "text"
    assert store.history(None) == []


def test_a_finished_reply_is_stored_with_its_tool_calls_and_completed_from_its_row(ann_chat):
    ann, chat = ann_chat
    question, reply = post_user_message(chat, ann, "Add them")
    db.session.commit()
    finished = Message(id=reply.id, chat_id=chat.id, content="It is **42**.", reasoning="Adding.", status="completed",
                       error=None, context_report={"included": 1}, input_tokens=10, cached_tokens=0,
                       output_tokens=4, reasoning_tokens=0, cost=Decimal("0.0001"), attachments=[],
                       tool_calls=[ToolCall(tool_call_id="c1", name="calculator", arguments={"expression": "40+2"},
                                            round=1, status="ok", result="42", duration_ms=3)])
    stored = store.store_finished(finished)
    assert stored.siblings == [reply.id] and stored.untitled
    public = stored.message.to_public()
    assert (public["parent_id"], public["reply_to_id"], public["role"]) == (question.id, question.id, "assistant")
    assert public["tool_calls"][0]["name"] == "calculator" and public["content"] == "It is **42**."
    db.session.expire_all()
    row = db.session.get(Message, reply.id)
    assert (row.status, row.content, row.reasoning, row.output_tokens) == ("completed", "It is **42**.", "Adding.", 4)
    assert [(c.name, c.result, c.message_id) for c in row.tool_calls] == [("calculator", "42", reply.id)]
    assert db.session.get(Chat, chat.id).updated_at >= row.created_at


def test_a_reply_whose_chat_was_deleted_meanwhile_is_not_stored(ann_chat):
    ann, chat = ann_chat
    _, reply = post_user_message(chat, ann, "Soon gone")
    db.session.commit()
    reply_id, chat_id = reply.id, chat.id
    db.session.delete(chat)
    db.session.commit()
    finished = Message(id=reply_id, chat_id=chat_id, content="late", status="completed", attachments=[], tool_calls=[])
    assert store.store_finished(finished) is None
    assert db.session.get(Message, reply_id) is None
