"""The JSON API in the app (issue 10): tokens, errors, pagination, accounts, bodies, files,
export and the OpenAPI document. The real stack's tests are in ``tests/integration/test_api.py``."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

from app.api.spec import document
from app.config import TestConfig
from app.conversations.posting import post_user_message
from app.extensions import db
from app.identity.accounts import create_user
from app.models import ROLE_OWNER, Account, ApiToken, Chat, Message, ToolCall, User
from app.models.base import utcnow
from app.web.files import FILE_CSP
from app.web.guards import TOO_DEEP
from tests.support import files
from tests.support.attachments import stored_attachment

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")

FILE_CSP_AS_SENT = FILE_CSP + " "  # Flask-Talisman rebuilds a policy with a space after a bare directive


@pytest.fixture
def ann(app):
    user = create_user("ann@example.com", "Ann Lee", "correct horse battery")
    db.session.commit()
    return user


@pytest.fixture
def api(client, ann):
    """The test client with a token of Ann's on every request."""
    _, plain = ApiToken.issue(ann, "tests")
    db.session.commit()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {plain}"
    return client


@pytest.fixture
def chat(api) -> dict:
    response = api.post("/api/v1/chats", json={"title": "Plans", "instructions": "Be brief."})
    assert response.status_code == 201
    return response.get_json()


def test_the_document_is_valid_openapi_3_1_and_describes_every_api_route(app):
    spec = document()
    validate(spec)
    assert spec["openapi"].startswith("3.1")
    described = {(path, method) for path, item in spec["paths"].items() for method in item}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = rule.rule.replace("<lookup_id:", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method.lower()) in described, (path, method)
    events = spec["paths"]["/api/v1/chats/{chat_id}/events"]["get"]
    assert "text/event-stream" in events["responses"]["200"]["content"]
    assert any(p["name"] == "Last-Event-ID" for p in events["parameters"])


def test_the_reference_page_lists_every_operation_without_a_script_from_elsewhere(client):
    page = client.get("/api/docs").get_data(as_text=True)
    for method, path in (("GET", "/api/v1/chats/{chat_id}/events"), ("POST", "/api/v1/chats/{chat_id}/messages"),
                         ("PATCH", "/api/v1/chats/{chat_id}"), ("GET", "/api/v1/chats/{chat_id}/export")):
        assert f'{method}</span> <code>{path}</code>' in page
    assert 'id="schema-MessageOut"' in page and "Last-Event-ID" in page
    assert "cdn" not in page.lower() and "<script>" not in page


def test_no_token_or_a_revoked_one_is_a_401_that_says_how_to_authenticate(client, api, ann):
    missing = client.get("/api/v1/models", headers={"Authorization": ""})
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == 'Bearer realm="Confab API"'
    assert missing.get_json()["error"]["code"] == "unauthorized"
    token = db.session.execute(sa.select(ApiToken)).scalar_one()
    db.session.delete(token)
    db.session.commit()
    revoked = api.get("/api/v1/models")
    assert revoked.status_code == 401
    assert revoked.headers["WWW-Authenticate"] == 'Bearer realm="Confab API", error="invalid_token"'
    assert "Set-Cookie" not in revoked.headers


def test_last_used_is_kept_to_the_minute_not_written_on_every_request(api):
    api.get("/api/v1/models")
    token = db.session.execute(sa.select(ApiToken)).scalar_one()
    first = token.last_used_at
    assert first is not None
    api.get("/api/v1/models")
    db.session.refresh(token)
    assert token.last_used_at == first
    token.last_used_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    api.get("/api/v1/models")
    db.session.refresh(token)
    assert token.last_used_at > first - timedelta(minutes=1)


class LowLimit(TestConfig):
    API_RATE_LIMIT = "3 per minute"


@pytest.mark.parametrize("app_config", [LowLimit])
def test_each_token_has_its_own_rate_limit_and_a_429_says_when_to_retry(api, client, app):
    for _ in range(3):
        assert api.get("/api/v1/models").status_code == 200
    limited = api.get("/api/v1/models")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.get_json()["error"]["code"] == "rate_limited"
    other = User.query.filter_by(email="ann@example.com").one()
    _, second_token = ApiToken.issue(other, "another script")
    db.session.commit()
    assert client.get("/api/v1/models", headers={"Authorization": f"Bearer {second_token}"}).status_code == 200


def test_chats_page_newest_first_with_a_cursor(api, ann):
    account = ann.memberships[0].account
    chats = [Chat(account=account, creator=ann, model_id="demo-chat", title=f"Chat {n}") for n in range(25)]
    db.session.add_all(chats)
    db.session.commit()
    for n, chat in enumerate(chats):
        chat.updated_at = utcnow() - timedelta(minutes=100 - n)
    db.session.commit()
    seen, cursor = [], None
    while True:
        page = api.get("/api/v1/chats", query_string={"limit": 10, **({"cursor": cursor} if cursor else {})}).get_json()
        seen += [c["title"] for c in page["chats"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"Chat {n}" for n in reversed(range(25))]
    found = api.get("/api/v1/chats", query_string={"q": "chat 2"}).get_json()["chats"]
    assert {c["title"] for c in found} == {"Chat 2", *(f"Chat {n}" for n in range(20, 25))}


def test_the_account_is_a_parameter_and_a_foreign_one_is_404(api, ann):
    team = Account(name="Team")
    stranger = Account(name="Strangers")
    db.session.add_all([team, stranger])
    team.add_member(ann)
    db.session.commit()
    in_team = api.post("/api/v1/chats", json={"account_id": team.id, "title": "Team chat"})
    assert in_team.status_code == 201 and in_team.get_json()["account_id"] == team.id
    own = api.get("/api/v1/chats").get_json()["chats"]
    assert [c["title"] for c in own] == []  # the default is Ann's own account, not the team's
    assert [c["title"] for c in api.get(f"/api/v1/chats?account_id={team.id}").get_json()["chats"]] == ["Team chat"]
    for response in (api.get(f"/api/v1/chats?account_id={stranger.id}"),
                     api.post("/api/v1/chats", json={"account_id": stranger.id})):
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(("body", "status", "message"), [
    (b"null", 422, "The body must be a JSON object."),
    (b"{not json", 422, "The body must be a JSON object."),
    (b"[1, 2]", 422, "The body must be a JSON object."),
    (b'{"title": "x", "colour": "red"}', 422, "colour: Extra inputs are not permitted"),
    (b'{"model_id": "no-such-model"}', 422, "That model is not available. Choose another one."),
])
def test_bad_bodies_get_a_clear_error_and_create_nothing(api, body, status, message):
    response = api.post("/api/v1/chats", data=body, content_type="application/json")
    assert (response.status_code, response.get_json()["error"]["message"]) == (status, message)
    assert db.session.execute(sa.select(sa.func.count(Chat.id))).scalar_one() == 0


def test_a_form_where_json_is_expected_is_a_415_and_nul_in_a_query_a_422(api, chat):
    form = api.patch(f"/api/v1/chats/{chat['id']}", data={"title": "x"})
    assert form.status_code == 415 and form.get_json()["error"]["code"] == "unsupported_media_type"
    nul = api.get("/api/v1/chats", query_string={"q": "a\x00b"})
    assert nul.status_code == 422 and nul.get_json()["error"]["code"] == "invalid_text"


def test_patch_changes_only_what_is_sent_and_refuses_an_empty_change(api, chat):
    changed = api.patch(f"/api/v1/chats/{chat['id']}", json={"model_id": "demo-fast"}).get_json()
    assert (changed["model_id"], changed["title"], changed["instructions"]) == ("demo-fast", "Plans", "Be brief.")
    cleared = api.patch(f"/api/v1/chats/{chat['id']}", json={"instructions": None}).get_json()
    assert cleared["instructions"] is None and cleared["title"] == "Plans"
    for body, message in (({}, "Send at least one of title, model_id and instructions."),
                          ({"title": "   "}, "Enter a title.")):
        refused = api.patch(f"/api/v1/chats/{chat['id']}", json=body)
        assert (refused.status_code, refused.get_json()["error"]["message"]) == (422, message)


def test_ids_out_of_range_are_404_whatever_the_method(api):
    for method in ("GET", "PATCH", "DELETE"):
        for chat_id in ("0", "2147483648", "99999999999999999999"):
            response = api.open(f"/api/v1/chats/{chat_id}", method=method, json={"title": "x"})
            assert response.status_code == 404, (method, chat_id)
    not_allowed = api.put("/api/v1/chats/1", json={})
    assert not_allowed.status_code == 405 and set(not_allowed.headers["Allow"].split(", ")) >= {"GET", "PATCH", "DELETE"}


def test_posting_with_files_through_the_api_follows_the_pages_rules(api, chat):
    response = api.post(f"/api/v1/chats/{chat['id']}/messages", content_type="multipart/form-data",
                        data={"content": "see these", "files": [(io.BytesIO(files.png()), "dot.png"),
                                                               (io.BytesIO(files.pdf(["Hello"])), "hello.pdf")]})
    assert response.status_code == 202, response.get_json()
    attachments = response.get_json()["user_message"]["attachments"]
    assert [(a["filename"], a["kind"]) for a in attachments] == [("dot.png", "image"), ("hello.pdf", "pdf")]
    assert api.get(f"/api/v1/attachments/{attachments[0]['id']}").data == files.png()
    refused = api.post(f"/api/v1/chats/{chat['id']}/messages", content_type="multipart/form-data",
                       data={"content": "and this", "files": [(io.BytesIO(files.HTML_AS_PNG), "page.png")]})
    assert refused.status_code == 422 and "page.png" in refused.get_json()["error"]["message"]
    assert db.session.execute(sa.select(sa.func.count(Message.id))).scalar_one() == 2
    as_form = api.post(f"/api/v1/chats/{chat['id']}/messages", data={"content": "plain form"})
    assert as_form.status_code == 202 and as_form.get_json()["user_message"]["content"] == "plain form"


@pytest.fixture
def finished_chat(ann, chat):
    """Plans: a question with two files, answered with reasoning, a tool call and its cost."""
    chat_row = db.session.get(Chat, chat["id"])
    question, reply = post_user_message(chat_row, ann, "Compare these | please")
    stored_attachment(question, PNG, "dot.png", "image/png")
    stored_attachment(question, b"%PDF-1.4 notes", "notes ```.pdf", "application/pdf")
    reply.status, reply.content, reply.reasoning = "completed", "They differ.\n\n```py\nprint(1)\n```", "Look at both."
    reply.input_tokens, reply.output_tokens, reply.cost = 1200, 30, 0.000132
    db.session.add(ToolCall(message=reply, tool_call_id="call_1", name="calculator", arguments={"expression": "6*7"}))
    db.session.commit()
    return chat_row, question, reply


def test_the_markdown_export_holds_authors_models_costs_files_tools_and_reasoning(api, finished_chat):
    chat, question, reply = finished_chat
    response = api.get(f"/api/v1/chats/{chat.id}/export?format=md")
    assert response.headers["Content-Disposition"] == f'attachment; filename="confab-{chat.id}-plans.md"'
    text = response.get_data(as_text=True)
    assert text.startswith("# Plans\n\n- Model: Demo chat (`demo-chat`)\n- Account: Ann Lee's account\n")
    assert "- Participants: Ann Lee\n" in text and "> Be brief." in text
    assert "## Ann Lee · " in text and "Compare these | please" in text
    assert "- dot.png (image/png, 29 bytes)" in text and "- notes ```.pdf (application/pdf, 14 bytes)" in text
    assert "## Demo chat (`demo-chat`) · " in text and "_1,200 tokens in, 30 out · $0.000132_" in text
    assert "<details><summary>Reasoning</summary>\n\n```text\nLook at both.\n```\n\n</details>" in text
    assert '**Tool call** `calculator` (`call_1`) with arguments:\n\n```json\n{\n  "expression": "6*7"\n}\n```' in text
    assert "They differ.\n\n```py\nprint(1)\n```" in text


def test_the_json_export_is_the_chat_and_its_message_objects(api, finished_chat):
    chat, question, reply = finished_chat
    data = api.get(f"/api/v1/chats/{chat.id}/export?format=json").get_json()
    assert data["format"] == "confab.chat.v1" and data["chat"]["title"] == "Plans"
    assert [m["id"] for m in data["messages"]] == [question.id, reply.id]
    assert [a["filename"] for a in data["messages"][0]["attachments"]] == ["dot.png", "notes ```.pdf"]
    assert data["messages"][1]["tool_calls"] == [{"id": "call_1", "name": "calculator", "arguments": {"expression": "6*7"},
                                                  "round": 1, "status": "ok", "result": None, "duration_ms": None,
                                                  "server": None}]
    assert data["messages"][1]["html"].startswith("<p>They differ.</p>")
    page = api.get(f"/chats/{chat.id}")  # the chat page's menu offers both
    assert page.status_code in (200, 302)


def test_files_are_served_with_their_type_never_sniffed_and_cacheable(api, finished_chat):
    _, question, _ = finished_chat
    image, pdf = question.attachments
    shown = api.get(f"/api/v1/attachments/{image.id}")
    assert shown.status_code == 200 and shown.data == PNG and shown.mimetype == "image/png"
    assert shown.headers["Content-Disposition"] == "inline; filename=dot.png"
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in shown.headers["Cache-Control"] and shown.headers["ETag"] == f'"{image.sha256}"'
    assert api.get(f"/api/v1/attachments/{image.id}", headers={"If-None-Match": f'"{image.sha256}"'}).status_code == 304
    part = api.get(f"/api/v1/attachments/{image.id}", headers={"Range": "bytes=0-7"})
    assert part.status_code == 206 and part.data == PNG[:8]
    download = api.get(f"/api/v1/attachments/{pdf.id}")
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert api.get("/api/v1/attachments/999999").status_code == 404


def test_a_member_of_another_account_sees_none_of_it(client, finished_chat):
    chat, question, reply = finished_chat
    eve = create_user("eve@example.com", "Eve Out", "correct horse battery")
    eve_account = Account(name="Eve's team")
    db.session.add(eve_account)
    eve_account.add_member(eve, ROLE_OWNER)
    _, token = ApiToken.issue(eve, "eve")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    for path in (f"/api/v1/chats/{chat.id}", f"/api/v1/chats/{chat.id}/export", f"/api/v1/messages/{reply.id}",
                 f"/api/v1/attachments/{question.attachments[0].id}", f"/api/v1/chats/{chat.id}/events"):
        response = client.get(path, headers=headers)
        assert response.status_code == 404, path
        assert b"Compare" not in response.data and b"They differ" not in response.data


def test_a_file_through_the_api_keeps_its_own_sandbox_csp_not_the_sites(api, finished_chat):
    _, question, _ = finished_chat
    for attachment in question.attachments:
        served = api.get(f"/api/v1/attachments/{attachment.id}")
        assert served.status_code == 200
        assert served.headers.getlist("Content-Security-Policy") == [FILE_CSP_AS_SENT]


@pytest.mark.parametrize("depth", [100_000, 65])
def test_a_body_nested_past_the_limit_is_a_400_not_a_500_and_creates_nothing(api, depth):
    response = api.post("/api/v1/chats", data="[" * depth + "]" * depth, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == {"code": "too_deep", "message": TOO_DEEP}
    assert api.get("/api/v1/chats").get_json()["chats"] == []


def test_a_body_nested_within_the_limit_reaches_the_usual_checks(api):
    nested = {"title": "Deep"}
    for _ in range(60):
        nested = {"title": "Deep", "instructions": None, "x": nested}
    response = api.post("/api/v1/chats", json=nested)
    assert response.status_code == 422 and response.get_json()["error"]["code"] != "too_deep"


def test_one_token_holds_at_most_the_set_number_of_event_streams_and_a_closed_one_frees_its_place(api, chat, app):
    app.config["MAX_EVENT_STREAMS_PER_TOKEN"] = 2
    url = f"/api/v1/chats/{chat['id']}/events"
    first, second = (api.get(url, buffered=False) for _ in range(2))
    assert first.status_code == second.status_code == 200
    refused = api.get(url, buffered=False)
    assert refused.status_code == 429
    assert refused.get_json()["error"] == {
        "code": "too_many_streams", "message": "This token already has 2 event streams open; close one first."}
    second.close()  # the stream ends: its place is free again
    third = api.get(url, buffered=False)
    assert third.status_code == 200
    first.close()
    third.close()


@pytest.mark.parametrize("body", [{"private": 0}, {"private": "true"}, {"account_id": "1"}, {"title": 5}])
def test_a_json_body_value_of_the_wrong_type_is_refused_not_coerced(api, body):
    response = api.post("/api/v1/chats", json=body)
    assert response.status_code == 422
    assert api.get("/api/v1/chats").get_json()["chats"] == []


def test_a_message_asking_for_a_picture_with_a_number_is_refused(api, chat):
    response = api.post(f"/api/v1/chats/{chat['id']}/messages", json={"content": "a cat", "image": 1})
    assert response.status_code == 422
    assert api.get(f"/api/v1/chats/{chat['id']}").get_json()["messages"] == []
