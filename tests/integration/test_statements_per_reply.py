"""Posting a message and claiming its reply on the stack's own database (PostgreSQL in CI,
SQLite on the embedded defaults): the same rows either way, and on PostgreSQL each takes
one statement (data-modifying CTEs; SQLite has none)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import create_app
from app.config import TestConfig
from app.conversations import posting, search
from app.engine import drafts
from app.extensions import db
from app.models import Chat, Message, User
from app.replies import store
from tests.support.queries import recorded_executions, recorded_statements


@pytest.fixture
def stack_database(stack):
    """An app context on the stack's database; what a test writes is rolled back, unless the code it
    tests commits (storing a finished reply does, in the test's own chat)."""
    class OnTheStacksDatabase(TestConfig):
        SQLALCHEMY_DATABASE_URI = stack.database_url.replace("postgresql://", "postgresql+psycopg2://")

    app = create_app(OnTheStacksDatabase)
    with app.app_context():
        yield db.engine.dialect.name
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def test_a_post_stores_the_question_its_pending_reply_and_the_new_leaf(stack_database, ann, chat_id):
    chat = db.session.get(Chat, chat_id)
    user = db.session.execute(sa.select(User).where(User.email == ann.email)).scalar_one()
    model = chat.model
    with recorded_statements() as statements:
        question, reply = posting.ask(chat, user, "Which one first?", chat.leaf_id, model)
    assert len(statements) == (1 if stack_database == "postgresql" else 3)
    rows = db.session.execute(sa.select(Message).where(Message.chat_id == chat_id)).scalars()
    stored = {m.id: m for m in rows}
    assert (stored[question.id].role, stored[question.id].content, stored[question.id].user_id) == \
        ("user", "Which one first?", user.id)
    assert (stored[reply.id].role, stored[reply.id].status, stored[reply.id].parent_id, stored[reply.id].reply_to_id,
            stored[reply.id].model_id) == ("assistant", "pending", question.id, question.id, chat.model_id)
    leaf_id = db.session.execute(sa.select(Chat.leaf_id).where(Chat.id == chat_id)).scalar_one()
    assert leaf_id == reply.id == chat.leaf_id


def test_claiming_a_reply_brings_what_it_needs(stack_database, ann, chat_id):
    chat = db.session.get(Chat, chat_id)
    user = db.session.execute(sa.select(User).where(User.email == ann.email)).scalar_one()
    question, reply = posting.ask(chat, user, "Claim me", chat.leaf_id, chat.model)
    with recorded_statements() as statements:
        claimed = store.claim_next(chat_id)
    assert len(statements) == (1 if stack_database == "postgresql" else 2)
    assert (claimed.message_id, claimed.parent_id, claimed.asked, claimed.asker_id, claimed.account_id) == \
        (reply.id, question.id, "Claim me", user.id, chat.account_id)
    assert claimed.model.id == chat.model_id and claimed.model.provider.key == "demo"
    assert db.session.execute(sa.select(Message.status).where(Message.id == reply.id)).scalar_one() == "streaming"
    assert store.claim_next(chat_id) is None


def test_the_drafts_of_many_streaming_replies_are_written_in_one_statement(stack_database, ann, chat_id):
    chat = db.session.get(Chat, chat_id)
    user = db.session.execute(sa.select(User).where(User.email == ann.email)).scalar_one()
    question, _ = posting.ask(chat, user, "First", chat.leaf_id, chat.model)
    first = store.claim_next(chat_id)
    posting.ask(chat, user, "Second", first.message_id, chat.model)
    db.session.execute(sa.update(Message).where(Message.chat_id == chat_id, Message.status == "pending")
                       .values(status="streaming"))
    second_id = db.session.execute(sa.select(Message.id).where(
        Message.chat_id == chat_id, Message.role == "assistant", Message.id != first.message_id)).scalar_one()
    with recorded_executions() as executed:
        drafts.write_drafts([{"message_id": first.message_id, "text": "Half an ans", "thinking": None},
                             {"message_id": second_id, "text": "Another", "thinking": "Mulling"},
                             {"message_id": question.id, "text": "Not a draft", "thinking": None}])
    [write] = executed
    assert write.many is (stack_database != "postgresql")  # PostgreSQL: one statement, one round trip
    rows = db.session.execute(sa.select(Message.id, Message.content, Message.reasoning, Message.status)
                              .where(Message.role == "assistant", Message.chat_id == chat_id)).all()
    assert sorted(rows) == sorted([(first.message_id, "Half an ans", None, "streaming"),
                                   (second_id, "Another", "Mulling", "streaming")])
    assert db.session.get(Message, question.id).content == "First"  # finished: not a draft any more


def test_search_finds_finished_replies_but_not_drafts_from_the_index_of_finished_messages(stack_database, ann,
                                                                                          chat_id):
    chat = db.session.get(Chat, chat_id)
    user = db.session.execute(sa.select(User).where(User.email == ann.email)).scalar_one()
    _, finished = posting.ask(chat, user, "Tell me", chat.leaf_id, chat.model)
    _, streaming = posting.ask(chat, user, "And more", finished.id, chat.model)
    db.session.execute(sa.update(Message).where(Message.id == finished.id)
                       .values(status="completed", content="the okapi sleeps"))
    db.session.execute(sa.update(Message).where(Message.id == streaming.id)
                       .values(status="streaming", content="the okapi wakes"))
    with recorded_executions() as executed:
        hits = search.search(chat.account_id, user.id, "okapi")
    assert [hit["message_id"] for hit in hits] == [finished.id]
    if stack_database == "postgresql":  # the search's own statement is answered from the partial index
        connection = db.session.connection()
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off; SET LOCAL enable_nestloop = off")
        plan = connection.exec_driver_sql("EXPLAIN " + executed[-1].statement, executed[-1].parameters).scalars()
        assert search.POSTGRES_INDEX_NAME in "\n".join(plan)


def test_a_finished_reply_is_stored_with_its_chat_touched_and_its_versions_in_one_statement(stack_database, ann,
                                                                                           chat_id):
    chat = db.session.get(Chat, chat_id)
    user = db.session.execute(sa.select(User).where(User.email == ann.email)).scalar_one()
    question, reply = posting.ask(chat, user, "Store me", chat.leaf_id, chat.model)
    claimed = store.claim_next(chat_id)
    finished = Message(id=claimed.message_id, chat_id=chat_id, content="Stored.", status="completed",
                       context_report={"included": 1}, output_tokens=2, attachments=[], tool_calls=[])
    with recorded_statements() as statements:
        stored = store.store_finished(finished)
    assert len(statements) == (1 if stack_database == "postgresql" else 3)
    assert stored.siblings == [reply.id] and stored.untitled is (chat.title is None)
    assert (stored.message.parent_id, stored.message.content, stored.message.status) == (question.id, "Stored.",
                                                                                        "completed")
    assert db.session.execute(sa.select(Message.content).where(Message.id == reply.id)).scalar_one() == "Stored."
    gone = Message(id=reply.id, chat_id=chat_id + 10_000, content="late", status="completed", attachments=[],
                   tool_calls=[])
    assert store.store_finished(gone) is None  # its chat is not there: nothing stored
    assert db.session.execute(sa.select(Message.content).where(Message.id == reply.id)).scalar_one() == "Stored."


def test_drafts_a_finished_reply_and_the_look_for_the_next_commit_as_they_run_on_postgresql(stack_database, ann,
                                                                                          chat_id):
    """As a reply job runs them, with no transaction open: on PostgreSQL each is one statement on
    an autocommit connection (one round trip, not BEGIN, the statement and COMMIT)."""
    chat = db.session.get(Chat, chat_id)
    user = db.session.execute(sa.select(User).where(User.email == ann.email)).scalar_one()
    posting.ask(chat, user, "Commit me", chat.leaf_id, chat.model)
    claimed = store.claim_next(chat_id)
    db.session.commit()
    db.session.remove()
    with recorded_executions() as executed:
        drafts.write_drafts([{"message_id": claimed.message_id, "text": "Half", "thinking": None}])
        db.session.commit()
        db.session.remove()
        stored = store.store_finished(Message(id=claimed.message_id, chat_id=chat_id, content="Whole.",
                                                    status="completed", attachments=[], tool_calls=[]))
        db.session.remove()
        pending = store.next_pending(chat_id)
    on_postgresql = stack_database == "postgresql"
    committed_alone = [execution.autocommit for execution in executed]
    assert committed_alone == [True] * 3 if on_postgresql else not any(committed_alone)
    assert (stored.message.content, stored.message.status, pending) == ("Whole.", "completed", None)
    db.session.remove()
    assert db.session.get(Message, claimed.message_id).content == "Whole."
