"""Bad input gets a clear error, never a 500, and nothing stored is touched."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Chat, User


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/login", {"email": "a\x00@example.com", "password": "whatever1"}),
        ("/signup", {"name": "N\x00", "email": "n@example.com", "password": "correct horse"}),
    ],
)
def test_nul_characters_are_refused_before_any_query(client, path, data):
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert b"cannot contain NUL" in response.data
    assert db.session.execute(sa.select(sa.func.count(User.id))).scalar_one() == 0


def test_nul_in_a_chat_title_is_refused_as_json_and_the_title_kept(client, auth):
    auth.signup()
    client.post("/chats", data={"model_id": "demo-chat", "title": "Kept"})
    chat = db.session.execute(sa.select(Chat)).scalar_one()
    response = client.post(f"/chats/{chat.id}/rename", data={"title": "bad\x00"}, headers={"X-Requested-With": "fetch"})
    assert response.status_code == 400
    assert response.get_json()["error"] == {"code": "invalid_text", "message": "Text cannot contain NUL characters."}
    db.session.refresh(chat)
    assert chat.title == "Kept"


def test_an_oversized_request_body_is_refused(client, auth, app):
    auth.signup()
    client.post("/chats", data={"model_id": "demo-chat"})
    chat = db.session.execute(sa.select(Chat)).scalar_one()
    body = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post(f"/chats/{chat.id}/messages", data=body, content_type="application/octet-stream",
                           headers={"X-Requested-With": "fetch"})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


@pytest.mark.parametrize("path", ["/chats/abc", "/chats/-1", "/accounts/1.5", "/chats/99999999999999999999"])
def test_malformed_ids_are_404(client, auth, path):
    auth.signup()
    assert client.get(path).status_code == 404


def test_catch_up_ignores_a_malformed_since_id(client, auth):
    auth.signup()
    client.post("/chats", data={"model_id": "demo-chat"})
    chat = db.session.execute(sa.select(Chat)).scalar_one()
    for value in ("99999999999999999999", "-5", "abc"):
        response = client.get(f"/chats/{chat.id}/messages?since_id={value}")
        assert response.status_code == 200 and response.get_json() == {"messages": []}
