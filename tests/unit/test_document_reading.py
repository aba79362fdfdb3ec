"""A PDF is read by a job after its upload, never in the web process (issue 30): the message
shows it "reading", its reply waits for it, caps on pages, characters and time keep what was
read and say so, and a damaged or stuck one gets a clear note instead of a failure."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db, socketio
from app.files import reading
from app.models import Attachment, Chat, Message
from app.models.base import utcnow
from app.platform.queue import queue
from app.replies import store
from app.replies.context import build_request
from tests.support import files
from tests.support.chats import empty_chat

TEXT_ONLY = frozenset({"streaming"})


@pytest.fixture
def chat(client, auth):
    auth.signup()
    empty_chat(client, title="Documents")
    return db.session.execute(sa.select(Chat)).scalar_one()


def send(client, chat_id, content, *uploads):
    data = {"content": content, "files": [(io.BytesIO(data), name) for name, data in uploads]}
    response = client.post(f"/chats/{chat_id}/messages", data=data, content_type="multipart/form-data",
                           headers={"X-Requested-With": "fetch", "Accept": "application/json"})
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def queued_jobs() -> list[tuple[str, tuple]]:
    return [(job.func_name, job.args) for job in queue().jobs]


def reported(reply_id: int, capabilities=TEXT_ONLY) -> dict:
    reply = db.session.get(Message, reply_id)
    built = build_request(store.history(reply.parent_id), None, 1_000_000, 1000, capabilities)
    return {a["filename"]: a for a in built.report["attachments"]}


def test_a_pdf_is_stored_reading_and_its_reply_waits_until_the_reading_job_has_read_it(client, chat, app):
    sock = socketio.test_client(app, flask_test_client=client)
    assert sock.emit("join", {"chat_id": chat.id}, callback=True)["ok"] is True
    posted = send(client, chat.id, "Summarise", ("report.pdf", files.pdf(["Revenue rose", "Costs fell"])))
    [attachment] = posted["user_message"]["attachments"]
    assert (attachment["read_state"], attachment["page_count"], attachment["read_note"]) == ("reading", None, None)
    assert queued_jobs() == [("app.jobs.documents.read_documents", (posted["user_message"]["id"],))]
    page = client.get(f"/chats/{chat.id}").get_data(as_text=True)
    assert '<span class="read-state reading">reading…</span>' in page

    assert store.next_pending(chat.id) is None and store.claim_next(chat.id) is None  # it waits
    db.session.rollback()
    sock.get_received()
    assert reading.read_message_documents(posted["user_message"]["id"]) == 1

    row = db.session.get(Attachment, attachment["id"])
    assert (row.read_state, row.page_count, row.extracted_text, row.read_note) == ("read", 1, "Revenue rose\nCosts fell",
                                                                                  None)
    [event] = [e for e in sock.get_received() if e["name"] == "attachment.read"]
    assert event["args"][0]["message_id"] == posted["user_message"]["id"]
    assert event["args"][0]["attachment"]["read_state"] == "read" and event["args"][0]["attachment"]["page_count"] == 1
    assert queued_jobs()[-1] == ("app.jobs.replies.answer_pending_messages", (chat.id,))
    assert store.next_pending(chat.id) == posted["assistant_message"]["id"]
    assert reported(posted["assistant_message"]["id"])["report.pdf"]["sent_as"] == "text"
    sock.disconnect()


def test_a_later_question_in_the_chat_waits_behind_the_one_whose_pdf_is_being_read(client, chat):
    first = send(client, chat.id, "Read this", ("report.pdf", files.pdf(["Hello"])))
    send(client, chat.id, "And then this")
    assert store.next_pending(chat.id) is None
    reading.read_message_documents(first["user_message"]["id"])
    assert store.claim_next(chat.id).message_id == first["assistant_message"]["id"]


def test_the_page_cap_keeps_the_first_pages_and_the_context_report_says_so(client, chat, app):
    app.config["PDF_MAX_PAGES"] = 10
    posted = send(client, chat.id, "", ("long.pdf", files.many_pages_pdf(50, text="word")))
    reading.read_message_documents(posted["user_message"]["id"])
    row = db.session.get(Attachment, posted["user_message"]["attachments"][0]["id"])
    assert (row.read_state, row.page_count) == ("partial", 50)
    assert row.extracted_text == "\n\n".join(["word"] * 10)
    assert row.read_note == "Only the first 10 pages of 50 were read (Confab reads at most 10 pages of a PDF)."
    report = reported(posted["assistant_message"]["id"])["long.pdf"]
    assert (report["sent_as"], report["pages"], report["partial"]) == ("text", 50, row.read_note)
    page = client.get(f"/chats/{chat.id}").get_data(as_text=True)
    assert '<span class="read-state partial">partly read</span>' in page and row.read_note in page


def test_the_character_cap_cuts_the_text_where_it_is_reached(client, chat, app):
    app.config["PDF_MAX_CHARS"] = 25
    posted = send(client, chat.id, "", ("long.pdf", files.many_pages_pdf(20, text="0123456789")))
    reading.read_message_documents(posted["user_message"]["id"])
    row = db.session.get(Attachment, posted["user_message"]["attachments"][0]["id"])
    assert row.read_state == "partial" and row.extracted_text == "0123456789\n\n0123456789\n\n01234"
    assert row.read_note == "Only the first 25 characters were read (pages 1–3 of 20)."


def test_a_page_that_takes_too_long_is_stopped_at_the_time_limit_and_the_reply_goes_on(client, chat, app):
    app.config["PDF_READ_SECONDS"] = 0.5
    posted = send(client, chat.id, "What is in it?", ("dense.pdf", files.dense_page_pdf()))
    reading.read_message_documents(posted["user_message"]["id"])
    row = db.session.get(Attachment, posted["user_message"]["attachments"][0]["id"])
    assert (row.read_state, row.extracted_text) == ("partial", None)
    assert row.read_note == "Reading stopped at Confab's limit of 0.5 s, after 0 pages of 1."
    assert store.next_pending(chat.id) == posted["assistant_message"]["id"]
    assert reported(posted["assistant_message"]["id"])["dense.pdf"]["reason"] == "no text in the PDF"


def test_a_pdf_damaged_inside_is_unreadable_with_a_note_a_text_model_hears(client, chat):
    damaged = files.pdf(["x"]).replace(b"/Type /Catalog /Pages 2 0 R", b"/Type /Catalog /Pages 9 9 Q")
    posted = send(client, chat.id, "", ("damaged.pdf", damaged))
    reading.read_message_documents(posted["user_message"]["id"])
    row = db.session.get(Attachment, posted["user_message"]["attachments"][0]["id"])
    assert (row.read_state, row.read_note) == ("unreadable", "This PDF is damaged: its text could not be read.")
    report = reported(posted["assistant_message"]["id"])["damaged.pdf"]
    assert (report["sent_as"], report["reason"]) == ("nothing", row.read_note)
    # A model that reads PDFs itself still gets the file: its provider's reader may do better.
    assert reported(posted["assistant_message"]["id"], frozenset({"pdf"}))["damaged.pdf"]["sent_as"] == "file"
    page = client.get(f"/chats/{chat.id}").get_data(as_text=True)
    assert '<span class="read-state unreadable">could not be read</span>' in page


def test_a_reading_left_unfinished_by_a_dead_worker_is_given_up_by_the_sweep(client, chat):
    posted = send(client, chat.id, "", ("report.pdf", files.pdf(["Hello"])))
    assert reading.give_up_stuck_readings() == set()
    db.session.execute(sa.update(Attachment).values(created_at=utcnow() - reading.STUCK_AFTER - timedelta(seconds=1)))
    db.session.commit()
    assert reading.give_up_stuck_readings() == {chat.id}
    row = db.session.get(Attachment, posted["user_message"]["attachments"][0]["id"])
    assert (row.read_state, row.read_note) == ("unreadable", reading.STUCK_NOTE)
    assert store.next_pending(chat.id) == posted["assistant_message"]["id"]
    assert reading.read_message_documents(posted["user_message"]["id"]) == 0  # a late job changes nothing
