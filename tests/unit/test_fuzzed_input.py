"""Arbitrary strings and numbers in every id, page and form field: never a 500, never a
hang, and nothing already stored is lost (issue 14; SPEC "Bad input")."""
from __future__ import annotations

from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.config import TestConfig
from app.extensions import db, socketio
from app.models import Chat, Message
from app.platform.ids import parse_id
from tests.support.chats import empty_chat

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
anything = st.one_of(st.text(max_size=60), st.integers(min_value=-(2**70), max_value=2**70).map(str),
                     st.sampled_from(["²", "１", "٣", "0", "-1", "1e9", "9" * 40, "\u200b", " 1", "1 ", "%00"]))


class UnlimitedConfig(TestConfig):
    """Limits high enough that every example reaches the forms' validation, none stops at a 429."""

    LOGIN_LIMIT_PER_ADDRESS = LOGIN_LIMIT_PER_EMAIL = SIGNUP_LIMIT_PER_ADDRESS = "100000 per minute"


@pytest.fixture
def app_config():
    return UnlimitedConfig


@pytest.fixture
def chat(client, auth):
    auth.signup()
    empty_chat(client, title="Kept")
    chat = db.session.execute(sa.select(Chat)).scalar_one()
    client.post(f"/chats/{chat.id}/messages", data={"content": "kept message"}, headers={"X-Requested-With": "fetch"})
    return chat


def _kept(chat_id: int) -> None:
    db.session.expire_all()
    assert db.session.execute(sa.select(Message.content).where(Message.role == "user")).scalars().first() == "kept message"
    assert db.session.get(Chat, chat_id) is not None


@FUZZ
@given(value=anything)
def test_any_id_or_page_in_a_url_is_answered_without_a_server_error(client, chat, value):
    part = quote(value, safe="")
    for path in (f"/chats/{part}", f"/chats/{part}/messages", f"/chats?page={part}",
                 f"/chats/{chat.id}/messages?since_id={part}", f"/accounts/{part}",
                 f"/chats/{chat.id}/messages/{part}/cancel"):
        method = "POST" if path.endswith("/cancel") else "GET"
        response = client.open(path, method=method, headers={"X-Requested-With": "fetch"})
        assert response.status_code < 500, (path, response.status_code)
    _kept(chat.id)


@FUZZ
@given(field=st.sampled_from(["content", "title", "instructions", "model_id"]), value=st.text(max_size=300))
def test_any_text_in_any_chat_form_is_answered_without_a_server_error(client, chat, field, value):
    for path in (f"/chats/{chat.id}/messages", f"/chats/{chat.id}/rename", f"/chats/{chat.id}/instructions",
                 f"/chats/{chat.id}/model", "/chats"):
        response = client.post(path, data={field: value}, headers={"X-Requested-With": "fetch"})
        assert response.status_code < 500, (path, field, response.status_code)
    _kept(chat.id)


@FUZZ
@given(payload=st.one_of(st.none(), anything, st.dictionaries(st.sampled_from(["chat_id", "x"]), anything, max_size=2),
                         st.lists(anything, max_size=2)))
def test_any_join_payload_gets_an_answer(app, client, chat, payload):
    sock = socketio.test_client(app, flask_test_client=client)
    answer = sock.emit("join", payload, callback=True)
    names_the_chat = isinstance(payload, dict) and parse_id(payload.get("chat_id")) == chat.id
    assert answer["ok"] is names_the_chat  # other keys beside a valid chat_id are ignored
    sock.disconnect()


@settings(FUZZ, max_examples=40)  # each example hashes passwords: scrypt is slow on purpose
@given(email=st.text(max_size=80), password=st.text(max_size=80), name=st.text(max_size=80))
def test_any_text_in_the_sign_in_and_sign_up_forms_is_answered_without_a_server_error(client, email, password, name):
    for path, data in (("/login", {"email": email, "password": password}),
                       ("/signup", {"email": email, "password": password, "name": name})):
        assert client.post(path, data=data).status_code < 500


@FUZZ
@given(field=st.sampled_from(["monthly_limit_usd", "member_monthly_limit_usd", "email", "role", "name", "max_uses",
                              "days"]),
       value=st.one_of(st.text(max_size=120), anything))
def test_any_text_in_any_account_form_is_answered_without_a_server_error(client, chat, field, value):
    account = chat.account_id
    for path in (f"/accounts/{account}/budget", f"/accounts/{account}/invitations", f"/accounts/{account}/invitation-links",
                 f"/accounts/{account}/members/{chat.creator_id}/role", "/account/tokens"):
        response = client.post(path, data={field: value}, headers={"X-Requested-With": "fetch"})
        assert response.status_code < 500, (path, field, response.status_code)
    _kept(chat.id)
