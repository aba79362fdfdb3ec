"""Chats and messages over HTTP: pages, settings, posting, and authorization (SPEC §4, §8)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Chat, LlmModel, Message, User
from app.replies import store
from app.replies.context import build_request
from tests.support.queries import recorded_statements
from tests.support.routes import CHAT_ROUTES
from tests.support.trees import grow_branched_chat
from tests.support.people import add_member
from tests.support.chats import empty_chat


@pytest.fixture
def ann_chat(client, auth):
    auth.signup()
    return empty_chat(client, title="Plans")


def post(client, chat_id, content):
    return client.post(f"/chats/{chat_id}/messages", data={"content": content},
                       headers={"X-Requested-With": "fetch", "Accept": "application/json"})


def test_new_chat_appears_in_list_and_page_shows_it(client, ann_chat):
    assert ann_chat.model_id == "demo-chat" and ann_chat.title == "Plans"
    listing = client.get("/chats").data.decode()
    assert "Plans" in listing
    page = client.get(f"/chats/{ann_chat.id}").data.decode()
    assert 'id="composer"' in page and 'data-chat-id="%d"' % ann_chat.id in page
    assert "js/chat.js" in page and "<script>" not in page


def all_chats_pane(html: str) -> str:
    return html.split('class="card recent"', 1)[1]


def started_chat(client, title: str) -> int:
    """A chat with its first message (an empty one is listed to its creator alone)."""
    chat_id = empty_chat(client, title=title).id
    post(client, chat_id, "hello")
    return chat_id


def test_chat_list_is_paginated_most_recent_first(client, ann_chat, app):
    post(client, ann_chat.id, "hello")
    for i in range(35):
        started_chat(client, f"chat {i:02d}")
    first = all_chats_pane(client.get("/chats").data.decode())
    assert "chat 34" in first and "Plans" not in first and "Older" in first
    second = all_chats_pane(client.get("/chats?page=2").data.decode())
    assert "Plans" in second and "chat 34" not in second


def sidebar_page(client, query: str = "") -> dict:
    response = client.get(f"/chats{query}", headers={"X-Requested-With": "fetch"})
    assert response.status_code == 200
    return response.get_json()


def test_sidebar_lists_chats_newest_first_page_by_page_and_searches_titles(client, ann_chat):
    post(client, ann_chat.id, "hello")
    for i in range(45):
        started_chat(client, f"Topic {i:02d}")
    first = sidebar_page(client)
    titles = [c["title"] for c in first["chats"]]
    assert titles[:2] == ["Topic 44", "Topic 43"] and len(titles) == 40
    assert first["chats"][0]["url"].startswith("/chats/") and first["chats"][0]["updated_at"].endswith("+00:00")
    rest = sidebar_page(client, f"?after={first['next_after']}")
    assert [c["title"] for c in rest["chats"]] == [f"Topic {i:02d}" for i in range(4, -1, -1)] + ["Plans"]
    assert rest["next_after"] is None
    assert [c["title"] for c in sidebar_page(client, "?q=topic%200")["chats"]] == [f"Topic 0{i}" for i in range(9, -1, -1)]
    assert sidebar_page(client, "?q=100%25")["chats"] == []  # % is literal, not a wildcard


def start(client, content: str = "Hello there", **fields):
    """The home page's composer: a chat started with its first message."""
    return client.post("/chats", data={"content": content, **fields},
                       headers={"X-Requested-With": "fetch", "Accept": "application/json"})


def test_new_chat_is_a_page_that_stores_nothing_until_the_first_message(client, auth):
    auth.signup()
    page = client.get("/chats").get_data(as_text=True)
    assert 'id="composer-input"' in page and 'action="/chats"' in page
    assert '<a class="button new-chat" id="new-chat" href="/chats">' in page  # a link: a click stores nothing
    assert db.session.execute(sa.select(sa.func.count(Chat.id))).scalar() == 0
    started = start(client, "Plan the launch", model_id="demo-fast")
    assert started.status_code == 202
    body = started.get_json()
    chat = db.session.get(Chat, body["chat_id"])
    assert body["url"] == f"/chats/{chat.id}" and chat.model_id == "demo-fast" and chat.private is False
    assert (body["user_message"]["content"], body["assistant_message"]["status"]) == ("Plan the launch", "pending")
    assert chat.leaf_id == body["assistant_message"]["id"]


def test_a_start_without_a_model_choice_uses_the_default_and_a_form_post_opens_the_chat(client, auth):
    auth.signup()
    response = client.post("/chats", data={"content": "Hello"})
    assert response.status_code == 302
    chat = db.session.get(Chat, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert chat.model_id == "demo-chat" and chat.title is None and chat.leaf_id is not None


@pytest.mark.parametrize(("fields", "status", "message"), [
    ({"content": "   "}, 422, "Write a message first."),
    ({"content": "Hi", "model_id": "no-such-model"}, 422, "Not a valid choice."),
])
def test_a_refused_first_message_stores_no_chat_and_keeps_the_text(client, auth, fields, status, message):
    auth.signup()
    refused = start(client, **fields)
    assert refused.status_code == status and refused.get_json()["error"]["message"] == message
    page = client.post("/chats", data=fields)
    assert page.status_code == status and fields["content"] in page.get_data(as_text=True)
    assert message in page.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count(Chat.id))).scalar() == 0


def test_sidebar_never_lists_another_accounts_chats_and_refuses_odd_cursors(client, ann_chat, auth):
    auth.logout()
    auth.signup(name="Eve Stone", email="eve@example.com")
    empty_chat(client, title="Eve's")
    assert [c["title"] for c in sidebar_page(client)["chats"]] == ["Eve's"]
    assert sidebar_page(client, f"?after={ann_chat.id}") == {"chats": [], "next_after": None}
    for odd in ("abc", "-1", "０"):
        assert client.get(f"/chats?after={odd}", headers={"X-Requested-With": "fetch"}).status_code == 404


def test_rename_change_model_and_instructions(client, ann_chat):
    client.post(f"/chats/{ann_chat.id}/rename", data={"title": "  Renamed  "})
    client.post(f"/chats/{ann_chat.id}/instructions", data={"instructions": "Answer in French."})
    db.session.refresh(ann_chat)
    assert ann_chat.title == "Renamed" and ann_chat.instructions == "Answer in French."
    client.post(f"/chats/{ann_chat.id}/instructions", data={"instructions": "   "})
    db.session.refresh(ann_chat)
    assert ann_chat.instructions is None
    refused = client.post(f"/chats/{ann_chat.id}/model", data={"model_id": "gpt-4o"},
                          headers={"X-Requested-With": "fetch"})
    assert refused.status_code == 422
    db.session.refresh(ann_chat)
    assert ann_chat.model_id == "demo-chat"


def test_posting_stores_user_message_and_pending_reply_and_answers_202(client, ann_chat):
    response = post(client, ann_chat.id, "Hello **team**")
    assert response.status_code == 202
    body = response.get_json()
    assert body["user_message"]["content"] == "Hello **team**"
    assert body["user_message"]["user"]["initials"] == "AL"
    assert body["user_message"]["html"] == '<p class="as-written">Hello **team**</p>\n'  # as typed
    assert body["assistant_message"]["status"] == "pending"
    assert body["assistant_message"]["model_id"] == "demo-chat"
    rows = db.session.execute(sa.select(Message).order_by(Message.id)).scalars().all()
    assert [(m.role, m.status) for m in rows] == [("user", "completed"), ("assistant", "pending")]
    assert rows[1].reply_to_id == rows[0].id


@pytest.mark.parametrize(("content", "words"), [("   ", "Write a message first."), ("x" * 100_001, "the limit is 100,000")])
def test_empty_or_oversized_message_is_refused(client, ann_chat, content, words):
    response = post(client, ann_chat.id, content)
    assert response.status_code == 422
    assert words in response.get_json()["error"]["message"]
    assert db.session.execute(sa.select(sa.func.count(Message.id))).scalar_one() == 0


def test_posting_into_a_chat_whose_model_is_disabled_is_refused(client, ann_chat):
    db.session.get(LlmModel, "demo-chat").enabled = False
    db.session.commit()
    response = post(client, ann_chat.id, "hello")
    assert response.status_code == 422
    assert "switched off" in response.get_json()["error"]["message"]


def test_account_budget_refuses_posts_past_the_limit(client, ann_chat):
    post(client, ann_chat.id, "first")
    reply = db.session.execute(sa.select(Message).where(Message.role == "assistant")).scalar_one()
    reply.status, reply.cost = "completed", 0.02
    ann_chat.account.monthly_limit_usd = 0.01
    db.session.commit()
    response = post(client, ann_chat.id, "second")
    assert response.status_code == 422
    assert response.get_json()["error"]["message"].startswith(
        "Ann Lee's account has reached its monthly limit: $0.02 of $0.01 spent. It resets on 1 ")


def test_member_budget_refuses_only_the_member_past_their_limit(client, auth, ann_chat):
    auth.logout()
    auth.signup("Bob Stone", "bob@example.com")
    auth.logout()
    auth.login()
    add_member(ann_chat.account_id, "bob@example.com")
    post(client, ann_chat.id, "ann asks")
    reply = db.session.execute(sa.select(Message).where(Message.role == "assistant")).scalar_one()
    reply.status, reply.cost = "completed", 0.5
    ann_chat.account.member_monthly_limit_usd = 0.5
    db.session.commit()
    refused = post(client, ann_chat.id, "ann again")
    assert refused.status_code == 422
    assert "You have reached your monthly limit: $0.50 of $0.50 spent." in refused.get_json()["error"]["message"]
    auth.logout()
    auth.login("bob@example.com")
    assert post(client, ann_chat.id, "bob asks").status_code == 202


def test_cancel_a_pending_reply(client, ann_chat):
    reply_id = post(client, ann_chat.id, "hello").get_json()["assistant_message"]["id"]
    response = client.post(f"/chats/{ann_chat.id}/messages/{reply_id}/cancel", headers={"X-Requested-With": "fetch"})
    assert response.status_code == 202
    assert db.session.get(Message, reply_id).status == "cancelled"
    again = client.post(f"/chats/{ann_chat.id}/messages/{reply_id}/cancel", headers={"X-Requested-With": "fetch"})
    assert again.status_code == 409


def test_delete_removes_chat_and_messages(client, ann_chat):
    post(client, ann_chat.id, "hello")
    client.post(f"/chats/{ann_chat.id}/delete")
    assert db.session.execute(sa.select(sa.func.count(Message.id))).scalar_one() == 0
    assert client.get(f"/chats/{ann_chat.id}").status_code == 404


def test_only_the_creator_and_the_accounts_owners_may_delete_a_chat(app, client, auth, ann_chat):
    from tests.conftest import AuthActions

    bob = app.test_client()
    AuthActions(bob).signup("Bob Stone", "bob@example.com")
    add_member(ann_chat.account_id, "bob@example.com")
    page = bob.get(f"/chats/{ann_chat.id}").data.decode()
    assert "Plans" in page and 'id="delete-form"' not in page
    refused = bob.post(f"/chats/{ann_chat.id}/delete", headers={"X-Requested-With": "fetch"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert db.session.get(Chat, ann_chat.id) is not None
    bob.get(f"/chats/{ann_chat.id}")  # Bob now works in Ann's account
    bob_chat_id = empty_chat(bob, title="Bob's").id
    assert db.session.get(Chat, bob_chat_id).account_id == ann_chat.account_id
    assert 'id="delete-form"' in client.get(f"/chats/{bob_chat_id}").data.decode()
    assert client.post(f"/chats/{bob_chat_id}/delete").status_code == 302
    assert db.session.get(Chat, bob_chat_id) is None
    assert bob.post(f"/chats/{ann_chat.id}/delete").status_code == 403


@pytest.mark.parametrize(("method", "path"), CHAT_ROUTES)
def test_non_member_gets_404_on_every_chat_and_message_route(client, auth, ann_chat, method, path):
    reply_id = post(client, ann_chat.id, "secret plans").get_json()["assistant_message"]["id"]
    auth.logout()
    auth.signup("Eve", "eve@example.com")
    url = path.format(chat=ann_chat.id, message=reply_id)
    response = getattr(client, method)(url, data={"content": "x", "title": "x", "model_id": "demo-chat"})
    assert response.status_code == 404
    assert b"secret plans" not in response.data
    db.session.expire_all()
    assert db.session.get(Chat, ann_chat.id).title == "Plans"
    assert db.session.execute(sa.select(sa.func.count(Message.id))).scalar_one() == 2


@pytest.mark.parametrize("path", ["/chats/999999", "/chats/999999/messages/1/cancel"])
def test_missing_ids_are_404(client, auth, path):
    auth.signup()
    method = client.post if path.endswith("cancel") else client.get
    assert method(path).status_code == 404


def test_message_of_another_chat_is_404_on_cancel(client, ann_chat):
    reply_id = post(client, ann_chat.id, "hello").get_json()["assistant_message"]["id"]
    empty_chat(client, title="Other")
    other = db.session.execute(sa.select(Chat).where(Chat.title == "Other")).scalar_one()
    assert client.post(f"/chats/{other.id}/messages/{reply_id}/cancel").status_code == 404


def _queries_to_show_and_answer(client, chat_id: int) -> tuple[int, int, str]:
    """Statements run to render the chat page, and to build the context for its shown leaf."""
    db.session.expire_all()
    with recorded_statements() as statements:
        page = client.get(f"/chats/{chat_id}").data.decode()
        rendered = len(statements)
        leaf = db.session.get(Message, db.session.get(Chat, chat_id).leaf_id)
        built = build_request(store.history(leaf.parent_id), None, 1_000_000, 1000)
    assert built.report["trimmed"] == 0
    return rendered, len(statements) - rendered, page


def test_a_branched_chat_renders_and_builds_context_in_a_constant_number_of_queries(client, ann_chat, app):
    small, big = ann_chat, Chat(account_id=ann_chat.account_id, creator_id=ann_chat.creator_id, model_id="demo-chat")
    db.session.add(big)
    author = ann_chat.creator
    grow_branched_chat(small, author, total=200, branches=5)
    grow_branched_chat(big, author, total=2000, branches=50)
    assert db.session.execute(sa.select(sa.func.count()).where(Message.chat_id == big.id)).scalar_one() == 2000
    small_counts, big_counts = _queries_to_show_and_answer(client, small.id), _queries_to_show_and_answer(client, big.id)
    assert small_counts[:2] == big_counts[:2]
    page = big_counts[2]
    # The shown path: trunk up to the question the newest branch left from, then that branch.
    assert "branch49 39 <strong>bold</strong>" in page and "trunk 18" in page and "trunk 19" not in page


def test_the_composer_says_why_sending_is_disabled_before_anyone_types(client, ann_chat):
    assert "data-blocked" not in client.get(f"/chats/{ann_chat.id}").data.decode()
    ann_chat.account.monthly_limit_usd = 0
    db.session.commit()
    page = client.get(f"/chats/{ann_chat.id}").data.decode()
    assert "data-blocked=\"Ann Lee&#39;s account has reached its monthly limit: $0.00 of $0.00 spent." in page
    assert 'id="send" aria-label="Send" title="Send (Enter)" disabled' in page


def test_a_model_change_answers_with_whether_the_member_may_send(client, ann_chat):
    response = client.post(f"/chats/{ann_chat.id}/model", data={"model_id": "demo-fast"},
                           headers={"X-Requested-With": "fetch"})
    assert response.get_json() == {
        "chat": {"id": ann_chat.id, "title": "Plans", "display_title": "Plans", "model_id": "demo-fast",
                 "instructions": None},
        "send_blocked": None,
    }


def test_a_chat_started_on_the_pages_reaches_other_members_with_its_first_message(client, auth, app):
    from tests.conftest import AuthActions

    auth.signup("Ann Lee", "ann@example.com")
    bob = app.test_client()
    AuthActions(bob).signup("Bob Stone", "bob@example.com")
    with client.session_transaction() as session:
        account_id = db.session.get(User, int(session["_user_id"])).memberships[0].account_id
    add_member(account_id, "bob@example.com")
    bob.post(f"/accounts/{account_id}/switch")

    def listed(person) -> list[int]:
        return [c["chat_id"] for c in person.get("/chats", headers={"Accept": "application/json"}).get_json()["chats"]]
    client.get("/chats")
    assert listed(bob) == [] and listed(client) == []  # the "New chat" page stored nothing
    chat_id = start(client, "Now it starts").get_json()["chat_id"]
    assert listed(bob) == [chat_id] and listed(client) == [chat_id]
    mine = start(client, "Just for me", private="y").get_json()["chat_id"]
    assert db.session.get(Chat, mine).private is True
    assert listed(bob) == [chat_id] and listed(client) == [mine, chat_id]
    assert bob.get(f"/chats/{mine}").status_code == 404