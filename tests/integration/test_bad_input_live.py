"""Issue 14's input findings against the real web process (eventlet, PostgreSQL or SQLite):
odd ids and pages are 404, files and invisible text are refused, nothing stored is lost."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("raw", ["²", "１", "٣", "9" * 30, "0"])
def test_ids_that_are_not_plain_digits_are_404_and_join_answers(ann, chat_id, raw):
    assert ann.http.get(f"{ann.url}/chats/{raw}", timeout=10).status_code == 404
    assert ann.http.get(f"{ann.url}/chats/{chat_id}/messages?since_id={raw}", timeout=10).status_code == 200
    listener = ann.socket()
    try:
        assert listener.join(raw) == {"ok": False, "error": "Chat not found."}
    finally:
        listener.close()


@pytest.mark.parametrize("page", ["922337203685477580", "²", "-1"])
def test_a_page_that_is_not_a_sensible_number_is_404(ann, page):
    assert ann.http.get(f"{ann.url}/chats?page={page}", timeout=10).status_code == 404


def test_broken_files_and_invisible_messages_are_refused_and_nothing_is_stored(ann, chat_id):
    with_file = ann.post(f"/chats/{chat_id}/messages", data={"content": "see attached"},
                         files={"files": ("notes.pdf", b"%PDF-1.4", "application/pdf")})
    assert with_file.status_code == 422
    assert with_file.json()["error"]["message"] == "“notes.pdf” is a damaged PDF that cannot be read."
    invisible = ann.post(f"/chats/{chat_id}/messages", data={"content": "\u200b\u2060"})
    assert invisible.status_code == 422 and invisible.json()["error"]["message"] == "Write a message first."
    assert ann.messages(chat_id) == []


def test_signed_in_pages_are_never_cached(ann, chat_id):
    for path in ("/chats", f"/chats/{chat_id}", f"/chats/{chat_id}/messages"):
        assert ann.http.get(f"{ann.url}{path}", timeout=10).headers["Cache-Control"] == "no-store"
