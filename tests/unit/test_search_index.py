"""The SQLite full-text index holds finished messages only (``app/conversations/search.py``): a
streaming reply's drafts are never indexed, the finished reply once, and an index made by
the migrations before is brought to the same (migration 0010)."""
from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import create_app
from app.config import TestConfig
from app.conversations.posting import post_user_message
from app.conversations.search import search
from app.extensions import db
from app.models import Chat, Message
from app.models.base import utcnow
from tests.support.chats import empty_chat, member_with_chat


def indexed(word: str) -> list[int]:
    """The ids of the messages the index finds ``word`` in."""
    return [row[0] for row in db.session.execute(
        sa.text("SELECT rowid FROM messages_fts WHERE messages_fts MATCH :word ORDER BY rowid"), {"word": word})]


def test_a_streaming_reply_is_indexed_once_finished_and_leaves_the_index_with_its_words(app):
    ann, chat = member_with_chat()
    question, reply = post_user_message(chat, ann, "Tell me about wombats")
    db.session.commit()
    assert indexed("wombats") == [question.id]  # a question is finished as it is posted
    for draft in ("Wombats dig", "Wombats dig burrows"):
        db.session.execute(sa.update(Message).where(Message.id == reply.id).values(content=draft, status="streaming"))
    db.session.commit()
    assert indexed("burrows") == []
    db.session.execute(sa.update(Message).where(Message.id == reply.id)
                       .values(content="Wombats dig burrows with their claws", status="completed"))
    db.session.commit()
    assert indexed("burrows") == [reply.id] and indexed("wombats") == [question.id, reply.id]
    assert [hit["message_id"] for hit in search(chat.account_id, ann.id, "claws")] == [reply.id]
    db.session.execute(sa.update(Message).where(Message.id == reply.id).values(content="Wombats sleep by day"))
    db.session.commit()
    assert indexed("claws") == [] and indexed("sleep") == [reply.id]
    db.session.execute(sa.delete(Message).where(Message.id == reply.id))
    db.session.commit()
    assert indexed("sleep") == [] and indexed("wombats") == [question.id]


def test_the_migration_takes_drafts_out_of_an_index_made_before_and_its_downgrade_puts_them_back(tmp_path):
    class OnAFile(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'confab.db'}"

    app = create_app(OnAFile)
    with app.app_context():
        upgrade(revision="0009_finished_message_search")
        db.session.execute(sa.text("DROP TRIGGER messages_fts_update"))  # as 0007 first made it: every write
        db.session.execute(sa.text(
            "CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN "
            "INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content); "
            "INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content); END"))
        # Rows as that revision's app wrote them (in SQL: today's models have columns it had not):
        # the demo model, a member's chat, a question and its pending reply, then a draft.
        ann_id, chat_id = rows_of_revision_0009()
        question, reply = (SimpleNamespace(id=db.session.execute(sa.text(
            "INSERT INTO messages (chat_id, user_id, role, content, status, created_at, updated_at) "
            "VALUES (:chat, :user, :role, :content, :status, :now, :now) RETURNING id"),
            {"chat": chat_id, "user": user, "role": role, "content": content, "status": status, "now": utcnow()},
        ).scalar_one()) for user, role, content, status in ((ann_id, "user", "Tell me about quokkas", "completed"),
                                                             (None, "assistant", "", "pending")))
        db.session.execute(sa.update(Message).where(Message.id == reply.id)
                           .values(content="Quokkas smile", status="streaming"))
        db.session.commit()
        assert indexed("quokkas") == [question.id, reply.id]  # the draft was indexed
        upgrade()
        assert indexed("quokkas") == [question.id]
        db.session.execute(sa.update(Message).where(Message.id == reply.id).values(status="completed"))
        db.session.commit()
        assert indexed("smile") == [reply.id]
        downgrade(revision="0009_finished_message_search")
        db.session.execute(sa.update(Message).where(Message.id == question.id).values(content="About numbats"))
        db.session.commit()
        assert indexed("numbats") == [question.id] and indexed("smile") == [reply.id]
        db.session.remove()


def rows_of_revision_0009() -> tuple[int, int]:
    """The demo model, and a user who owns an account with a chat on it, inserted as revision 0009's
    tables take them."""
    def insert(statement: str, **values) -> int:
        return db.session.execute(sa.text(statement), {"now": utcnow(), **values}).scalar_one()
    provider = insert("INSERT INTO llm_providers (key, base_url, created_at, updated_at) "
                      "VALUES ('demo', 'http://127.0.0.1:5055/v1', :now, :now) RETURNING id")
    insert("INSERT INTO llm_models (id, provider_id, name, kind, context_window, max_output_tokens, input_price, "
           "output_price, capabilities, enabled, created_at, updated_at) VALUES ('demo-chat', :provider, "
           "'Demo chat', 'chat', 8000, 1000, 0, 0, '[]', 1, :now, :now) RETURNING id", provider=provider)
    user = insert("INSERT INTO users (email, name, password_hash, created_at, updated_at) "
                  "VALUES ('ann@example.com', 'Ann Lee', 'unused', :now, :now) RETURNING id")
    account = insert("INSERT INTO accounts (name, created_at, updated_at) VALUES ('Ann', :now, :now) RETURNING id")
    insert("INSERT INTO memberships (account_id, user_id, role, created_at, updated_at) "
           "VALUES (:account, :user, 'owner', :now, :now) RETURNING id", account=account, user=user)
    chat = insert("INSERT INTO chats (account_id, creator_id, model_id, created_at, updated_at) "
                  "VALUES (:account, :user, 'demo-chat', :now, :now) RETURNING id", account=account, user=user)
    return user, chat


def test_the_sidebar_search_finds_a_word_inside_a_message_of_this_account_only(client, auth, app):
    auth.signup("Eve Hart", "eve@example.com")
    empty_chat(client, title="Eve's notes")
    eve_chat = db.session.execute(sa.select(Chat.id)).scalar_one()
    client.post(f"/chats/{eve_chat}/messages", data={"content": "the zebrafish codeword is Eve's"},
                headers={"X-Requested-With": "fetch", "Accept": "application/json"})
    auth.logout()
    auth.signup("Ann Lee", "ann@example.com")
    empty_chat(client, title="Launch plans")
    ann_chat = db.session.execute(sa.select(Chat.id).where(Chat.title == "Launch plans")).scalar_one()
    posted = client.post(f"/chats/{ann_chat}/messages", data={"content": "We meet where the zebrafish swim"},
                         headers={"X-Requested-With": "fetch", "Accept": "application/json"}).get_json()
    found = client.get("/chats?q=zebrafish", headers={"Accept": "application/json"}).get_json()
    assert found["chats"] == []  # no title says it
    assert [(m["chat_id"], m["message_id"], m["chat"]) for m in found["messages"]] == [
        (ann_chat, posted["user_message"]["id"], "Launch plans")]
    assert "«zebrafish»" in found["messages"][0]["snippet"]
    more = client.get(f"/chats?q=zebrafish&after={ann_chat}", headers={"Accept": "application/json"}).get_json()
    assert "messages" not in more  # only a search's first page carries them
