"""The JSON API and its event stream on the real stack (issue 10): tokens, every endpoint as a
member, an outsider and a revoked token, posting, SSE resume and scale-out, export."""
from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from tests.support import files
from tests.support.stack import ApiClient


@pytest.fixture
def ann_api(ann):
    with ann.api() as client:
        yield client


@pytest.fixture
def api_chat(ann_api) -> int:
    response = ann_api.post("/chats", json={"title": "API chat"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def finished(api: ApiClient, message_id: int, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = api.get(f"/messages/{message_id}").json()
        if message["status"] not in ("pending", "streaming"):
            return message
        time.sleep(0.1)
    raise TimeoutError(f"message {message_id} did not finish")


def test_a_token_from_the_tokens_page_works_until_revoked(ann, stack):
    page = ann.http.post(f"{ann.url}/account/tokens", data={"name": "ci", "csrf_token": ann.csrf}, timeout=10)
    token = page.text.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert token.startswith("cfb_")
    with ApiClient(ann.url, token) as api:
        assert api.get("/models").status_code == 200
        tokens_page = ann.http.get(f"{ann.url}/account/tokens", timeout=10).text
        assert "never" not in tokens_page.split(">ci<", 1)[1].split("</tr>", 1)[0]  # last used: now
        token_id = int(tokens_page.split(">ci<", 1)[1].split("/account/tokens/", 1)[1].split("/", 1)[0])
        chat_id = api.post("/chats", json={"title": "revocation"}).json()["id"]
        stream = api.events(chat_id)
        stream.wait_for("ready")
        ann.post(f"/account/tokens/{token_id}/revoke")
        assert stream.ended.wait(10), "the revoked token's event stream stayed open"
        stream.close()
        refused = api.get("/models")
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == 'Bearer realm="Confab API", error="invalid_token"'
        assert refused.json()["error"]["code"] == "unauthorized"


def test_every_endpoint_as_member_outsider_and_with_a_revoked_token(ann_api, bob, eve, stack, api_chat):
    posted = ann_api.post(f"/chats/{api_chat}/messages", json={"content": "Hello [[chunks:3]]"}).json()
    reply_id = posted["assistant_message"]["id"]
    finished(ann_api, reply_id)
    calls = [("GET", f"/chats/{api_chat}", None), ("PATCH", f"/chats/{api_chat}", {"instructions": "Be kind."}),
             ("GET", f"/chats/{api_chat}/export?format=json", None), ("GET", f"/chats/{api_chat}/export?format=md", None),
             ("GET", f"/messages/{reply_id}", None), ("POST", f"/messages/{reply_id}/cancel", None),
             ("POST", f"/chats/{api_chat}/messages", {"content": "From a member [[chunks:2]]"}),
             ("GET", "/chats", None), ("GET", "/models", None)]
    with bob.api() as member, eve.api() as outsider:
        revoked_token = stack.flask("tokens", "create", "eve@example.com", "--name", "gone").strip()
        with ApiClient(eve.url, revoked_token) as revoked:
            assert revoked.get("/models").status_code == 200
            tokens = eve.http.get(f"{eve.url}/account/tokens", timeout=10).text
            gone_id = tokens.split(">gone<", 1)[1].split("/account/tokens/", 1)[1].split("/", 1)[0]
            eve.post(f"/account/tokens/{gone_id}/revoke")
            for method, path, body in calls:
                as_member = member.request(method, path, json=body)
                assert as_member.status_code in (200, 202, 409), (method, path, as_member.text)
                if path.startswith(("/chats/", "/messages/")):
                    as_outsider = outsider.request(method, path, json=body)
                    assert as_outsider.status_code == 404, (method, path, as_outsider.text)
                    assert as_outsider.json() == {"error": {"code": "not_found",
                                                            "message": "There is nothing here, or it is not yours to see."}}
                assert revoked.request(method, path, json=body).status_code == 401
        assert member.delete(f"/chats/{api_chat}").status_code == 403  # only its creator and owners
        assert outsider.delete(f"/chats/{api_chat}").status_code == 404
        assert outsider.get(f"/chats/{api_chat}/events").status_code == 404
    assert ann_api.get(f"/chats/{api_chat}").json()["instructions"] == "Be kind."


def test_posting_with_json_and_with_a_multipart_form(ann_api, api_chat):
    as_json = ann_api.post(f"/chats/{api_chat}/messages", json={"content": "Reply to JSON [[chunks:2]]"})
    assert as_json.status_code == 202
    assert as_json.json()["user_message"]["content"] == "Reply to JSON [[chunks:2]]"
    assert finished(ann_api, as_json.json()["assistant_message"]["id"])["content"].startswith("You said")
    as_form = ann_api.post(f"/chats/{api_chat}/messages", data={"content": "Reply to a form [[chunks:2]]"})
    assert as_form.status_code == 202, as_form.text
    assert finished(ann_api, as_form.json()["assistant_message"]["id"])["status"] == "completed"
    for bad, message in (({"content": ""}, "Write a message first."), ({"content": 5}, "content: Input should be a valid string"),
                         ({}, "content: Field required"), ({"content": "x", "extra": 1}, "extra: Extra inputs are not permitted")):
        refused = ann_api.post(f"/chats/{api_chat}/messages", json=bad)
        assert (refused.status_code, refused.json()["error"]["message"]) == (422, message)
    with_files = ann_api.post(f"/chats/{api_chat}/messages", data={"content": "Read this [[chunks:2]]"},
                              files=[("files", ("notes.md", b"# Notes\nfirst point", "text/markdown")),
                                     ("files", ("dot.png", files.png(), "image/png"))])
    assert with_files.status_code == 202, with_files.text
    [notes, dot] = with_files.json()["user_message"]["attachments"]
    assert ann_api.get(f"/attachments/{dot['id']}").content == files.png()
    answered = finished(ann_api, with_files.json()["assistant_message"]["id"])
    assert "I received 2 attachments: 1. text [notes.md], first line “# Notes”; 2. image (image/png" in answered["content"]
    not_json = ann_api.post(f"/chats/{api_chat}/messages", content=b"{not json", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 422
    assert len(ann_api.get(f"/chats/{api_chat}").json()["messages"]) == 6  # nothing refused was stored


def _joined_deltas(*streams, message_id: int) -> tuple[list[int], str]:
    deltas = [d for stream in streams for d in stream.named("message.delta", message_id)]
    return [d["seq"] for d in deltas], "".join(d["text"] for d in deltas if d["channel"] == "content")


def test_a_stream_that_drops_mid_reply_resumes_with_last_event_id_exactly_once(ann_api, api_chat):
    first = ann_api.events(api_chat)
    assert first.wait_for("ready") == {"chat_id": api_chat, "unfinished": []}
    reply_id = ann_api.post(f"/chats/{api_chat}/messages",
                            json={"content": "Count slowly [[chunks:60]] [[slow:25]]"}).json()["assistant_message"]["id"]
    first.wait_for_deltas(reply_id, 10)
    first.close()
    resume_from = first.last_id
    time.sleep(0.4)  # deltas go on while nobody listens
    second = ann_api.events(api_chat, last_event_id=resume_from)
    done = second.wait_for("message.completed", reply_id)
    assert second.named("ready") == [] and second.named("reset") == []
    seqs, text = _joined_deltas(first, second, message_id=reply_id)
    assert seqs == list(range(1, len(seqs) + 1)), "a seq was repeated or lost across the reconnect"
    assert text == done["message"]["content"] == finished(ann_api, reply_id)["content"]
    ids = [e["id"] for stream in (first, second) for e in stream.events if e["id"]]
    assert len(ids) == len(set(ids)) and all(event["id"] for event in second.events)
    second.close()


def test_a_stream_opened_mid_reply_starts_from_the_text_so_far(ann_api, api_chat):
    reply_id = ann_api.post(f"/chats/{api_chat}/messages",
                            json={"content": "Go on [[chunks:50]] [[slow:20]]"}).json()["assistant_message"]["id"]
    deadline = time.monotonic() + 10
    while ann_api.get(f"/messages/{reply_id}").json()["content"] == "" and time.monotonic() < deadline:
        time.sleep(0.05)
    late = ann_api.events(api_chat)
    ready = late.wait_for("ready")
    [snapshot] = ready["unfinished"]
    assert snapshot["message"]["id"] == reply_id and snapshot["seq"] >= 1
    done = late.wait_for("message.completed", reply_id)
    seqs, text = _joined_deltas(late, message_id=reply_id)
    assert seqs == list(range(snapshot["seq"] + 1, snapshot["seq"] + 1 + len(seqs)))
    assert snapshot["message"]["content"] + text == done["message"]["content"]
    assert late.named("message.created") == []  # already in ready
    late.close()


def test_an_id_the_log_no_longer_reaches_gets_reset(ann_api, api_chat):
    stream = ann_api.events(api_chat, last_event_id="1-0")
    reset = stream.wait_for("reset")
    assert reset == {"chat_id": api_chat, "unfinished": []}
    assert stream.events[0]["id"]  # the position to resume from next time
    malformed = ann_api.get(f"/chats/{api_chat}/events", headers={"Last-Event-ID": "yesterday"})
    assert malformed.status_code == 422
    stream.close()


def test_a_stream_on_one_web_process_hears_a_reply_posted_through_another(ann, stack, api_chat, ann_api):
    listener = ann_api.events(api_chat, web_url=stack.web_urls[1])
    listener.wait_for("ready")
    reply_id = ann_api.post(f"/chats/{api_chat}/messages",
                            json={"content": "Across processes [[chunks:20]]"}).json()["assistant_message"]["id"]
    assert listener.wait_for("message.created", reply_id)["message"]["status"] == "pending"
    done = listener.wait_for("message.completed", reply_id)
    assert _joined_deltas(listener, message_id=reply_id)[1] == done["message"]["content"]
    ann_api.patch(f"/chats/{api_chat}", json={"title": "Renamed elsewhere"})
    assert listener.wait_for("chat.updated")["title"] == "Renamed elsewhere"
    listener.close()


def test_quiet_streams_get_heartbeats_and_a_deleted_chat_ends_them(ann_api, api_chat):
    with ann_api.stream("GET", f"/chats/{api_chat}/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        lines = response.iter_lines()
        seen = []
        started = time.monotonic()
        while ": keep-alive" not in seen:
            seen.append(next(lines))
            assert time.monotonic() - started < 5, seen
    stream = ann_api.events(api_chat)
    stream.wait_for("ready")
    assert ann_api.delete(f"/chats/{api_chat}").json() == {"deleted": api_chat}
    assert stream.wait_for("chat.deleted")["chat_id"] == api_chat
    assert stream.ended.wait(5)
    stream.close()
    assert ann_api.get(f"/chats/{api_chat}").status_code == 404


def test_open_streams_hold_no_database_or_redis_connection_each(ann_api, api_chat, stack):
    import redis

    client = redis.Redis.from_url(stack.redis_url or stack.env()["REDIS_URL"]) if stack.redis_url else None
    before = len(client.client_list()) if client else None
    streams = [ann_api.events(api_chat) for _ in range(20)]
    for stream in streams:
        stream.wait_for("ready")
    if client is not None:
        assert len(client.client_list()) - before < 5
    if stack.database_url.startswith("postgresql"):
        with stack.database() as connection:
            count = connection.execute(sa.text("select count(*) from pg_stat_activity where datname = current_database()")).scalar_one()
        assert count < 15, count
    reply_id = ann_api.post(f"/chats/{api_chat}/messages", json={"content": "Everyone [[chunks:5]]"}).json()["assistant_message"]["id"]
    for stream in streams:
        stream.wait_for("message.completed", reply_id)
        stream.close()


def test_export_in_both_formats(ann_api, api_chat):
    reply_id = ann_api.post(f"/chats/{api_chat}/messages",
                            data={"content": 'Think first [[reason]] [[chunks:4]] [[tool:calculator {"expression": "2*21"}]]'},
                            files=[("files", ("table.csv", b"a,b\n1,2\n", "text/csv"))]).json()["assistant_message"]["id"]
    reply = finished(ann_api, reply_id)
    as_json = ann_api.get(f"/chats/{api_chat}/export", params={"format": "json"})
    assert as_json.headers["content-disposition"] == f'attachment; filename="confab-{api_chat}-api-chat.json"'
    data = as_json.json()
    assert data["format"] == "confab.chat.v1" and data["chat"]["id"] == api_chat
    assert [m["id"] for m in data["messages"]][-1] == reply_id
    assert data["messages"][-1]["content"] == reply["content"] and data["participants"][0]["name"] == "Ann Lee"
    assert data["messages"][-2]["attachments"][0]["filename"] == "table.csv"
    assert [(c["name"], c["result"]) for c in data["messages"][-1]["tool_calls"]] == [("calculator", "42")]
    as_md = ann_api.get(f"/chats/{api_chat}/export")
    assert as_md.headers["content-type"].startswith("text/markdown")
    text = as_md.text
    assert text.startswith("# API chat\n") and "## Ann Lee · " in text and "Think first" in text
    assert "<details><summary>Reasoning</summary>" in text and reply["reasoning"].splitlines()[0] in text
    assert reply["content"] in text and "tokens in" in text
    assert "Attachments:\n\n- table.csv (text/csv, 8 bytes)" in text
    assert '**Tool call** `calculator`' in text and '"expression": "2*21"' in text and "```text\n42\n```" in text
