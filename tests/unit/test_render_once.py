"""A message's Markdown is rendered once, when it is stored, and served from then on: no page,
API answer or export renders it again, so a message that is slow to render costs its author's
post once, never every viewer's request (issue 30)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.conversations import rendering
from app.extensions import db
from app.models import ApiToken, Chat, Message, User
from app.models.base import utcnow
from tests.support.chats import empty_chat

FETCH = {"X-Requested-With": "fetch", "Accept": "application/json"}


@pytest.fixture
def chat(client, auth):
    auth.signup()
    empty_chat(client, title="Once")
    return db.session.execute(sa.select(Chat)).scalar_one()


def _post(client, chat_id: int, content: str) -> dict:
    response = client.post(f"/chats/{chat_id}/messages", data={"content": content}, headers=FETCH)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["user_message"]


def _finish_reply(reply_id: int, content: str) -> None:
    """The reply as the worker leaves it: finished, with its HTML stored."""
    reply = db.session.get(Message, reply_id)
    reply.content, reply.status, reply.html = content, "completed", rendering.stored_html(content)
    reply.updated_at = utcnow()
    db.session.commit()


def test_a_message_is_rendered_when_stored_and_every_view_serves_that(client, chat, monkeypatch):
    question = _post(client, chat.id, "Is 2**10 + sqrt(16) **bold**?\n  indented")
    assert question["html"] == '<p class="as-written">Is 2**10 + sqrt(16) **bold**?\n  indented</p>\n'  # as typed
    assert db.session.get(Message, question["id"]).html == question["html"]
    reply_id = db.session.execute(sa.select(sa.func.max(Message.id))).scalar_one()
    _finish_reply(reply_id, "| a | b |\n| - | - |\n| 1 | 2 |")

    def never(_text):
        raise AssertionError("a view rendered Markdown again")

    monkeypatch.setattr(rendering, "render_markdown", never)
    page = client.get(f"/chats/{chat.id}").data.decode()
    assert "Is 2**10 + sqrt(16) **bold**?" in page and "<table>" in page
    path = client.get(f"/chats/{chat.id}/messages", headers=FETCH).get_json()["messages"]
    assert [m["html"] for m in path] == [question["html"], db.session.get(Message, reply_id).html]
    user = db.session.execute(sa.select(User)).scalar_one()
    _, token = ApiToken.issue(user, "tests")
    db.session.commit()
    api = {"Authorization": f"Bearer {token}"}
    assert "<table>" in client.get(f"/api/v1/chats/{chat.id}", headers=api).get_json()["messages"][1]["html"]
    assert client.get(f"/api/v1/chats/{chat.id}/export?format=json", headers=api).status_code == 200


def test_a_message_stored_before_html_was_is_shown_escaped_never_rendered_on_view(client, chat, monkeypatch):
    question = _post(client, chat.id, "plain")
    db.session.execute(sa.update(Message).where(Message.id == question["id"])
                       .values(html=None, content="<b>*not* rendered</b>"))
    db.session.commit()
    monkeypatch.setattr(rendering, "render_markdown", lambda _text: pytest.fail("rendered on a view"))
    path = client.get(f"/chats/{chat.id}/messages", headers=FETCH).get_json()["messages"]
    assert path[0]["html"] == "<p>&lt;b&gt;*not* rendered&lt;/b&gt;</p>\n"


def test_markdown_too_slow_to_format_is_stored_as_plain_text_with_a_note(client, chat, monkeypatch):
    monkeypatch.setattr(rendering, "RENDER_SECONDS", 0.0)  # no process answers in no time
    long = "![" * 3_000  # past what renders in the web process itself
    assert rendering.stored_html(long) == f'<p>{"![" * 3_000}</p>\n<p class="render-note">{rendering.TOO_SLOW_TO_FORMAT}</p>\n'
    question = _post(client, chat.id, long)  # a question is stored as typed: nothing to render
    assert question["content"] == long and question["html"] == f'<p class="as-written">{long}</p>\n'
    monkeypatch.setattr(rendering, "RENDER_SECONDS", 30.0)
    assert rendering.stored_html("**long** " * 600).startswith("<p><strong>long</strong>")  # in its own process
