"""Signed-in sessions end when they should: a copied cookie dies with sign-out, and the
sockets of an ended session are disconnected (SPEC §4, §10)."""
from __future__ import annotations

import re

import sqlalchemy as sa

from app.extensions import db, socketio
from app.models import ApiToken, Chat
from tests.conftest import AuthActions
from tests.support.people import add_member
from tests.support.chats import empty_chat


def _copy_of(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    copy = app.test_client()
    cookie = client.get_cookie("session")
    copy.set_cookie("session", cookie.value)
    return copy


def _signed_in(client) -> bool:
    return client.get("/chats").status_code == 200


def test_a_copied_session_cookie_stops_working_when_its_session_signs_out(app, client, auth):
    auth.signup()
    copy = _copy_of(app, client)
    assert _signed_in(copy)
    auth.logout()
    assert not _signed_in(client)
    response = copy.get("/chats")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_signing_out_one_browser_leaves_the_others_signed_in(app, client, auth):
    auth.signup()
    auth.logout()
    other = app.test_client()
    AuthActions(other).login()
    auth.login()
    auth.logout()
    assert _signed_in(other)


def test_sign_out_everywhere_ends_every_session_of_the_user(app, client, auth):
    auth.signup()
    other = app.test_client()
    AuthActions(other).login()
    copy = _copy_of(app, other)
    assert client.post("/logout/everywhere").status_code == 302
    assert not _signed_in(client) and not _signed_in(other) and not _signed_in(copy)
    auth.login()
    assert _signed_in(client)


def test_the_sockets_of_a_signed_out_session_are_disconnected_and_a_copied_cookie_cannot_join(app, client, auth):
    auth.signup()
    empty_chat(client)
    chat = db.session.execute(sa.select(Chat)).scalar_one()
    copy = _copy_of(app, client)
    live = socketio.test_client(app, flask_test_client=client)
    copied = socketio.test_client(app, flask_test_client=copy)
    assert live.emit("join", {"chat_id": chat.id}, callback=True)["ok"] is True
    assert copied.emit("join", {"chat_id": chat.id}, callback=True)["ok"] is True
    auth.logout()
    assert not live.is_connected() and not copied.is_connected()
    assert not socketio.test_client(app, flask_test_client=copy).is_connected()


def test_a_socket_connected_before_sign_out_cannot_join_after_it(app, client, auth):
    auth.signup()
    empty_chat(client)
    chat = db.session.execute(sa.select(Chat)).scalar_one()
    copied = socketio.test_client(app, flask_test_client=_copy_of(app, client))
    from app.chats import connections

    connections._sockets.clear()  # as if this socket were connected to another web process that missed the event
    auth.logout()
    assert copied.emit("join", {"chat_id": chat.id}, callback=True) == {"ok": False, "error": "Chat not found."}


def test_a_removed_member_stops_receiving_the_accounts_chats_at_once(app, client, auth):
    auth.signup()
    bob_client = app.test_client()
    AuthActions(bob_client).signup("Bob Stone", "bob@example.com")
    empty_chat(bob_client)
    own_chat = db.session.execute(sa.select(Chat)).scalar_one()
    empty_chat(client)
    chat = db.session.execute(sa.select(Chat).where(Chat.id != own_chat.id)).scalar_one()
    add_member(chat.account_id, "bob@example.com")
    bob = socketio.test_client(app, flask_test_client=bob_client)
    assert bob.emit("join", {"chat_id": chat.id}, callback=True)["ok"] is True
    assert bob.emit("join", {"chat_id": own_chat.id}, callback=True)["ok"] is True
    assert client.post(f"/accounts/{chat.account_id}/members/{own_chat.creator_id}/remove").status_code == 302
    bob.get_received()
    say = {"headers": {"X-Requested-With": "fetch"}}
    assert client.post(f"/chats/{chat.id}/messages", data={"content": "not for Bob any more"}, **say).status_code == 202
    assert bob_client.post(f"/chats/{own_chat.id}/messages", data={"content": "still mine"}, **say).status_code == 202
    received = [e["args"][0] for e in bob.get_received()]
    # Room events carry their chat's id; sidebar batches, each change's.
    about = [c["chat_id"] for event in received for c in event.get("changes", [event])]
    assert chat.id not in about
    assert own_chat.id in about
    assert bob.is_connected()


def test_revoking_an_api_token_disconnects_its_sockets_at_once(app, client, auth):
    auth.signup()
    empty_chat(client)
    chat = db.session.execute(sa.select(Chat)).scalar_one()
    page = client.post("/account/tokens", data={"name": "script"}, follow_redirects=True).data.decode()
    plain = re.search(r'id="new-token">([^<]+)<', page).group(1)
    token_id = db.session.execute(sa.select(ApiToken.id)).scalar_one()
    script = socketio.test_client(app, headers={"Authorization": f"Bearer {plain}"})
    assert script.emit("join", {"chat_id": chat.id}, callback=True)["ok"] is True
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 302
    assert not script.is_connected()
    assert not socketio.test_client(app, headers={"Authorization": f"Bearer {plain}"}).is_connected()


def test_one_person_holds_at_most_the_set_number_of_sockets_and_a_closed_one_frees_its_place(app, client, auth):
    app.config["MAX_SOCKETS_PER_USER"] = 2
    auth.signup()
    first, second = (socketio.test_client(app, flask_test_client=client) for _ in range(2))
    assert first.is_connected() and second.is_connected()
    third = socketio.test_client(app, flask_test_client=client)
    assert not third.is_connected()  # refused: "too many connections"
    second.disconnect()
    fourth = socketio.test_client(app, flask_test_client=client)
    assert fourth.is_connected()
    first.disconnect()
    fourth.disconnect()
