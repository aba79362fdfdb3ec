"""Sign-out reaches every web process: a copied cookie is refused on HTTP and Socket.IO, and
the sockets of the ended session are disconnected wherever they are (SPEC §4, §10, §12)."""
from __future__ import annotations

import time

import requests
import sqlalchemy as sa

from tests.conftest import PASSWORD
from tests.support.stack import FORM_CSRF, Member


def test_signing_out_on_one_web_process_ends_that_session_on_every_other(stack, ann):
    stack.flask("users", "create", "--email", "dan@example.com", "--name", "Dan Ode", "--password", PASSWORD)
    stack.flask("accounts", "add-member", "Ann Lee's account", "dan@example.com")
    chat_id = ann.new_chat("for dan")
    dan = Member(stack, "dan@example.com", PASSWORD)
    dan_on_phone = Member(stack, "dan@example.com", PASSWORD, web_url=stack.web_urls[1])
    thief = dan.copied_to(stack.web_urls[1])
    far = thief.socket()
    try:
        assert far.join(chat_id)["ok"] is True
        assert dan.post("/logout", allow_redirects=False).status_code == 302
        deadline = time.monotonic() + 10
        while far.client.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not far.client.connected
        assert not thief.signed_in() and not thief.copied_to(stack.web_urls[0]).signed_in()
        ann_live = ann.socket()
        try:
            assert ann_live.join(chat_id)["ok"] is True  # before the post: the reply may end within milliseconds
            reply_id = ann.say(chat_id, "are you still there, Dan?")["assistant_message"]["id"]
            ann_live.wait_for("message.completed", reply_id)
        finally:
            ann_live.close()
        assert not [d for _, d in far.events if d.get("message_id") == reply_id]
        assert dan_on_phone.signed_in()
    finally:
        if far.client.connected:
            far.close()


def test_a_removed_member_connected_to_another_web_process_hears_nothing_more(stack, ann):
    stack.flask("users", "create", "--email", "fay@example.com", "--name", "Fay Lund", "--password", PASSWORD)
    stack.flask("accounts", "add-member", "Ann Lee's account", "fay@example.com")
    chat_id = ann.new_chat("before fay left")
    fay = Member(stack, "fay@example.com", PASSWORD, web_url=stack.web_urls[1])
    with stack.database() as connection:
        account_id = connection.execute(sa.select(sa.text("account_id")).select_from(sa.text("chats"))
                                        .where(sa.text("id = :id")), {"id": chat_id}).scalar_one()
        fay_id = connection.execute(sa.text("SELECT id FROM users WHERE email = 'fay@example.com'")).scalar_one()
    far = fay.socket()
    ann_live = ann.socket()
    try:
        assert far.join(chat_id)["ok"] is True and ann_live.join(chat_id)["ok"] is True
        assert {m["name"] for m in far.wait_for_presence(2)} == {"Ann Lee", "Fay Lund"}
        removed = ann.post(f"/accounts/{account_id}/members/{fay_id}/remove", allow_redirects=False)
        assert removed.status_code == 302
        seen = len(far.events)  # the bus delivers the removal before anything Ann publishes after it
        reply_id = ann.say(chat_id, "a plan Fay must not see")["assistant_message"]["id"]
        ann_live.wait_for("message.completed", reply_id)
        # Fay's page is told her access ended (issue 32), and hears nothing of the chat after it.
        assert ("access.ended", {"account_id": account_id}) in far.events
        assert [name for name, _ in far.events[seen:] if name != "access.ended"] == []
        assert far.client.connected
        assert fay.http.get(f"{fay.url}/chats/{chat_id}", timeout=10).status_code == 404
        assert far.join(chat_id) == {"ok": False, "error": "Chat not found."}
    finally:
        far.close()
        ann_live.close()


def test_guessing_someones_password_cannot_lock_them_out_of_their_own_browser(stack):
    stack.flask("users", "create", "--email", "gus@example.com", "--name", "Gus Lee", "--password", PASSWORD)
    owner = Member(stack, "gus@example.com", PASSWORD)
    assert owner.post("/logout", allow_redirects=False).status_code == 302
    attacker = requests.Session()
    for _ in range(5):
        page = attacker.get(f"{stack.web_url}/login", timeout=10).text
        token = FORM_CSRF.search(page).group(1)
        attacker.post(f"{stack.web_url}/login", timeout=10,
                      data={"email": "gus@example.com", "password": "a wrong guess", "csrf_token": token})
    page = attacker.get(f"{stack.web_url}/login", timeout=10).text
    blocked = attacker.post(f"{stack.web_url}/login", timeout=10, data={
        "email": "gus@example.com", "password": PASSWORD, "csrf_token": FORM_CSRF.search(page).group(1)})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    page = owner.http.get(f"{stack.web_url}/login", timeout=10).text
    back = owner.http.post(f"{stack.web_url}/login", allow_redirects=False, timeout=10, data={
        "email": "gus@example.com", "password": PASSWORD, "csrf_token": FORM_CSRF.search(page).group(1)})
    assert back.status_code == 302
