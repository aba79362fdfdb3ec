"""A non-member sees nothing of a chat: 404 on every route, refused on join (SPEC §4, §8)."""
from __future__ import annotations

import pytest
import socketio

from tests.support.routes import CHAT_ROUTES


@pytest.fixture(scope="module")
def secret_chat(ann):
    chat_id = ann.new_chat("secret")
    reply_id = ann.say(chat_id, "the secret plan")["assistant_message"]["id"]
    return chat_id, reply_id


@pytest.mark.parametrize(("method", "path"), CHAT_ROUTES)
def test_non_member_gets_404_on_every_chat_and_message_route(eve, ann, secret_chat, method, path):
    chat_id, reply_id = secret_chat
    url = path.format(chat=chat_id, message=reply_id)
    if method == "get":
        response = eve.http.get(f"{eve.url}{url}", headers={"Accept": "application/json"}, timeout=10)
    else:
        response = eve.post(url, data={"content": "x", "title": "x", "model_id": "demo-chat"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "secret plan" not in response.text
    assert [m["content"] for m in ann.messages(chat_id) if m["role"] == "user"] == ["the secret plan"]


def test_non_member_is_refused_on_join(eve, secret_chat):
    listener = eve.socket()
    try:
        assert listener.join(secret_chat[0]) == {"ok": False, "error": "Chat not found."}
        assert listener.join(10**9) == {"ok": False, "error": "Chat not found."}
    finally:
        listener.close()


def test_unauthenticated_socket_connection_is_refused(stack):
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(stack.web_url, transports=["websocket"], wait_timeout=5)


def test_api_token_authenticates_a_socket_connection(stack, ann, secret_chat):
    token = stack.flask("tokens", "create", "ann@example.com", "--name", "socket").strip()
    client = socketio.Client(reconnection=False)
    client.connect(stack.web_url, headers={"Authorization": f"Bearer {token}"}, transports=["websocket"], wait_timeout=5)
    try:
        ack = client.call("join", {"chat_id": secret_chat[0]}, timeout=10)
        assert ack["ok"] is True
    finally:
        client.disconnect()
    bad = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        bad.connect(stack.web_url, headers={"Authorization": "Bearer cfb_wrong"}, transports=["websocket"], wait_timeout=5)
