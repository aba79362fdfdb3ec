"""Bad input gets a clear error, never a 500, and nothing stored is touched."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from app.conversations.rendering import render_markdown
from app.extensions import db
from app.models import Chat, Message, User
from app.platform.ids import parse_id
from app.web.guards import TOO_DEEP
from tests.support.html_safety import executable_parts
from tests.support.xss import XSS_CORPUS
from tests.support.chats import empty_chat


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
    empty_chat(client, title="Kept")
    chat = db.session.execute(sa.select(Chat)).scalar_one()
    response = client.post(f"/chats/{chat.id}/rename", data={"title": "bad\x00"}, headers={"X-Requested-With": "fetch"})
    assert response.status_code == 400
    assert response.get_json()["error"] == {"code": "invalid_text", "message": "Text cannot contain NUL characters."}
    db.session.refresh(chat)
    assert chat.title == "Kept"


def test_an_oversized_request_body_is_refused(client, auth, app):
    auth.signup()
    empty_chat(client)
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
    empty_chat(client)
    chat = db.session.execute(sa.select(Chat)).scalar_one()
    for value in ("99999999999999999999", "-5", "abc"):
        response = client.get(f"/chats/{chat.id}/messages?since_id={value}")
        assert response.status_code == 200 and response.get_json() == {"leaf_id": None, "messages": []}


@pytest.fixture
def chat(client, auth):
    auth.signup()
    empty_chat(client, title="Kept")
    return db.session.execute(sa.select(Chat)).scalar_one()


def _message_count() -> int:
    return db.session.execute(sa.select(sa.func.count(Message.id))).scalar_one()


@pytest.mark.parametrize("raw", ["²", "１", "٣", "1²", "99999999999", "0", "-1", " 1"])
def test_ids_that_are_not_plain_ascii_digits_in_range_match_nothing(client, chat, raw):
    assert parse_id(raw) is None
    assert client.get(f"/chats/{raw}").status_code == 404
    assert client.get(f"/chats/{chat.id}/messages?since_id={raw}").status_code == 200


@pytest.mark.parametrize("raw", ["922337203685477580", "²", "abc", "0", "-3", "1.5"])
def test_a_page_that_is_not_a_sensible_number_is_404_not_500(client, chat, raw):
    assert client.get(f"/chats?page={raw}").status_code == 404
    assert client.get("/chats?page=2").status_code == 200


@pytest.mark.parametrize("content", ["\u200b\u200b", "\u200b \u2060\ufeff", "\u00a0", "  \n\t "])
def test_a_message_with_nothing_visible_is_refused_and_nothing_stored(client, chat, content):
    response = client.post(f"/chats/{chat.id}/messages", data={"content": content}, headers={"X-Requested-With": "fetch"})
    assert response.status_code == 422
    assert response.get_json()["error"]["message"] == "Write a message first."
    assert _message_count() == 0


def test_a_truncated_pdf_is_refused_by_name_and_nothing_is_stored(client, chat):
    response = client.post(f"/chats/{chat.id}/messages", headers={"X-Requested-With": "fetch"},
                           data={"content": "see attached", "files": (io.BytesIO(b"%PDF-1.4"), "notes.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert response.get_json()["error"]["message"] == "“notes.pdf” is a damaged PDF that cannot be read."
    assert _message_count() == 0


@pytest.mark.parametrize(("title", "error"), [
    ("   ", "Enter a title."), ("\u200b\u200b", "Enter a title."), ("x" * 201, "A title can be at most 200 characters."),
])
def test_renaming_to_nothing_or_too_long_says_which(client, chat, title, error):
    response = client.post(f"/chats/{chat.id}/rename", data={"title": title}, headers={"X-Requested-With": "fetch"})
    assert response.status_code == 422
    assert response.get_json()["error"]["message"] == error
    db.session.refresh(chat)
    assert chat.title == "Kept"


def test_pages_and_json_of_a_signed_in_person_are_never_stored_but_static_files_are(client, chat):
    for path in ("/chats", f"/chats/{chat.id}", f"/chats/{chat.id}/messages", "/account"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    static = client.get("/static/css/app.css")
    static.close()
    assert static.headers.get("Cache-Control") != "no-store"


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_hostile_markup_is_harmless_when_rendered_and_in_the_chat_history(client, chat, payload):
    assert executable_parts(str(render_markdown(payload))) == []
    response = client.post(f"/chats/{chat.id}/messages", data={"content": payload}, headers={"X-Requested-With": "fetch"})
    assert response.status_code == 202
    page = client.get(f"/chats/{chat.id}").data.decode()
    history = page.split('id="messages"')[1].split('id="composer"')[0]
    assert executable_parts(history) == []


def test_text_people_type_is_stored_in_one_unicode_form(client, chat):
    decomposed = "Cafe\u0301 plans"
    client.post(f"/chats/{chat.id}/rename", data={"title": f"  {decomposed}  "})
    client.post(f"/chats/{chat.id}/messages", data={"content": decomposed}, headers={"X-Requested-With": "fetch"})
    db.session.expire_all()
    assert db.session.get(Chat, chat.id).title == "Caf\u00e9 plans"
    stored = db.session.execute(sa.select(Message.content).where(Message.role == "user")).scalar_one()
    assert stored == "Caf\u00e9 plans"


@pytest.mark.parametrize("body", ["[" * 100_000, '{"title": ' * 5_000 + '"x"' + "}" * 5_000, "[" * 65 + "]" * 65])
def test_a_json_body_nested_past_the_limit_is_a_400_and_changes_nothing(client, chat, body):
    response = client.post(f"/chats/{chat.id}/rename", data=body, content_type="application/json",
                           headers={"X-Requested-With": "fetch", "Accept": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["error"] == {"code": "too_deep", "message": TOO_DEEP}
    assert db.session.get(Chat, chat.id).title == "Kept"
