"""A private chat is its creator's alone until shared (issue 32): every other member, an owner
too, gets a 404 on every route, no socket room, no list entry, no search hit and no sidebar
event; once shared, everyone sees it at once."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.conversations import search
from app.extensions import db, socketio
from app.models import Chat, Message, User
from tests.conftest import AuthActions
from tests.support.people import add_member
from tests.support.routes import CHAT_ROUTES
from tests.support.chats import empty_chat

FETCH = {"X-Requested-With": "fetch", "Accept": "application/json"}


@pytest.fixture
def private(client, auth, app):
    """Ann owns the account; Bob, a member, keeps a private chat with one exchange in it.
    ``client`` is Bob's; the second is Ann's."""
    ann = app.test_client()
    AuthActions(ann).signup("Ann Lee", "ann@example.com")
    auth.signup("Bob Stone", "bob@example.com")
    account_id = db.session.execute(sa.text("SELECT account_id FROM memberships m JOIN users u ON u.id = m.user_id "
                                            "WHERE u.email = 'ann@example.com'")).scalar_one()
    add_member(account_id, "bob@example.com")
    client.post(f"/accounts/{account_id}/switch")
    empty_chat(client, title="Bob's salary talk", private=True)
    chat = db.session.execute(sa.select(Chat).where(Chat.title == "Bob's salary talk")).scalar_one()
    posted = client.post(f"/chats/{chat.id}/messages", data={"content": "my quokka raise"}, headers=FETCH).get_json()
    return chat, posted["assistant_message"]["id"], ann


def titles(person) -> list[str]:
    return [c["title"] for c in person.get("/chats", headers=FETCH).get_json()["chats"]]


@pytest.mark.parametrize(("method", "path"), CHAT_ROUTES)
def test_a_private_chat_is_404_on_every_route_for_the_accounts_owner(private, method, path):
    chat, reply_id, ann = private
    response = getattr(ann, method)(path.format(chat=chat.id, message=reply_id),
                                    data={"content": "x", "title": "x", "model_id": "demo-chat"})
    assert response.status_code == 404 and b"quokka" not in response.data
    db.session.expire_all()
    assert db.session.get(Chat, chat.id).title == "Bob's salary talk"
    assert db.session.execute(sa.select(sa.func.count(Message.id))).scalar_one() == 2


def test_a_private_chat_is_listed_searched_and_joined_by_its_creator_only(private, client, app):
    chat, _, ann = private
    assert chat.private and titles(client) == ["Bob's salary talk"] and titles(ann) == []
    assert "Bob&#39;s salary talk" not in ann.get("/chats").get_data(as_text=True)
    assert ann.get("/chats?q=quokka", headers=FETCH).get_json()["messages"] == []
    assert [hit["chat_id"] for hit in client.get("/chats?q=quokka", headers=FETCH).get_json()["messages"]] == [chat.id]
    owner = db.session.execute(sa.select(User).where(User.email == "ann@example.com")).scalar_one()
    assert search.search(chat.account_id, owner.id, "quokka") == []  # the search_chats tool's search too
    sock = socketio.test_client(app, flask_test_client=ann)
    assert sock.emit("join", {"chat_id": chat.id}, callback=True) == {"ok": False, "error": "Chat not found."}
    sock.disconnect()


def test_sidebar_events_of_a_private_chat_reach_its_creator_alone_until_it_is_shared(private, client, app):
    chat, _, ann = private
    watching = socketio.test_client(app, flask_test_client=ann)
    own = socketio.test_client(app, flask_test_client=client)
    client.post(f"/chats/{chat.id}/messages", data={"content": "another quokka"}, headers=FETCH)
    client.post(f"/chats/{chat.id}/rename", data={"title": "Raise"}, headers=FETCH)

    def sidebar(sock) -> list[tuple[str, int]]:
        return [(c["event"], c["chat_id"]) for e in sock.get_received() if e["name"] == "chats.changed"
                for c in e["args"][0]["changes"]]
    assert sidebar(watching) == []
    assert ("chat.touched", chat.id) in sidebar(own)

    page = client.get(f"/chats/{chat.id}").get_data(as_text=True)
    assert 'id="private-badge"' in page and "Share with Ann Lee&#39;s account" in page
    assert ann.post(f"/chats/{chat.id}/share").status_code == 404
    assert client.post(f"/chats/{chat.id}/share").status_code == 302
    assert sidebar(watching) == [("chat.created", chat.id)]
    assert titles(ann) == ["Raise"] and ann.get(f"/chats/{chat.id}").status_code == 200
    watching.disconnect()
    own.disconnect()


def test_a_creator_moves_a_chat_to_another_account_and_the_old_members_lose_it_at_once(private, client, app):
    chat, _, ann = private
    client.post(f"/chats/{chat.id}/share")
    watcher = socketio.test_client(app, flask_test_client=ann)
    assert watcher.emit("join", {"chat_id": chat.id}, callback=True)["ok"] is True
    own_account = db.session.execute(sa.text(
        "SELECT a.id FROM accounts a WHERE a.name = 'Bob Stone''s account'")).scalar_one()
    assert ann.post(f"/chats/{chat.id}/move", data={"account_id": own_account}).status_code == 403  # not hers
    watcher.get_received()
    moved = client.post(f"/chats/{chat.id}/move", data={"account_id": own_account})
    assert moved.headers["Location"] == f"/chats/{chat.id}"
    assert db.session.get(Chat, chat.id).account_id == own_account
    heard = [(e["name"], e["args"][0]) for e in watcher.get_received()]
    assert ("chat.moved", {"chat_id": chat.id, "account_id": own_account}) in heard
    assert [c["event"] for name, data in heard if name == "chats.changed" for c in data["changes"]] == ["chat.deleted"]
    assert ann.get(f"/chats/{chat.id}").status_code == 404 and titles(ann) == []
    client.post(f"/chats/{chat.id}/messages", data={"content": "after the move"}, headers=FETCH)
    assert not [e for e in watcher.get_received() if e["name"].startswith("message.")]  # out of the room
    assert "Chats in Bob Stone&#39;s account" in client.get("/chats").get_data(as_text=True)
    watcher.disconnect()
