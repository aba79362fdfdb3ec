"""Reading the documents a message carries, after it is posted (SPEC §6, issue 30).

A PDF is stored ``reading``; the reading job (``app/jobs/documents.py``) calls
:func:`read_message_documents`, which reads each one in a document process of its own
(``pdf_text.py`` through ``app/platform/isolated.py``: capped in pages, characters, time and
memory, killed if it overruns), stores its text and page count with a note of anything left
out, tells the chat's room (``attachment.read``) and then queues the chat's reply, which
waits until its question's documents are read (``app/replies/store.py``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app import realtime
from app.extensions import db
from app.files import pdf_text, storage
from app.models import Attachment, Message
from app.models.base import utcnow
from app.models.chats import PARTLY_READ, READ, READING, UNREADABLE
from app.platform.isolated import IsolatedError, isolated_calls
from app.platform.queue import enqueue_replies

KILL_MARGIN_SECONDS = 10  # past its own limit, a reader that has not answered is killed
FAILED = {
    pdf_text.DAMAGED: "This PDF is damaged: its text could not be read.",
    pdf_text.ENCRYPTED: "This PDF is password-protected: its text could not be read.",
    pdf_text.TOO_LARGE: "This PDF needs more memory than Confab gives one file: its text could not be read.",
}


@dataclass
class Reading:
    """A document's reading, as stored."""

    state: str
    text: str | None = None
    pages: int | None = None
    note: str | None = None


def _pages(count: int) -> str:
    return f"{count:,} page" + ("" if count == 1 else "s")


def reading_from(result: dict, max_pages: int, max_chars: int, seconds: float) -> Reading:
    """What ``pdf_text.read_pdf`` returned, as stored: the state and a note for people."""
    if result["failed"]:
        return Reading(UNREADABLE, note=FAILED[result["failed"]])
    pages, read, stopped = result["pages"], result["pages_read"], result["stopped"]
    notes = []
    if stopped == pdf_text.STOPPED_PAGES:
        notes.append(f"Only the first {_pages(max_pages)} of {pages:,} were read (Confab reads at most "
                     f"{_pages(max_pages)} of a PDF).")
    elif stopped == pdf_text.STOPPED_CHARS:
        notes.append(f"Only the first {max_chars:,} characters were read (pages 1–{read:,} of {pages:,}).")
    elif stopped == pdf_text.STOPPED_TIME:
        where = f"after {_pages(read)} of {pages:,}" if pages is not None else "before its pages could be counted"
        notes.append(f"Reading stopped at Confab's limit of {seconds:g} s, {where}.")
    elif stopped == pdf_text.DAMAGED:
        notes.append(f"Part of this PDF is damaged: only {_pages(read)} of {pages:,} could be read.")
    if result["unreadable_pages"]:
        notes.append(f"{_pages(result['unreadable_pages'])} could not be read (too complex or damaged).")
    state = PARTLY_READ if notes else READ
    return Reading(state, text=result["text"] or None, pages=pages, note=" ".join(notes) or None)


def read_pdf(key: str) -> Reading:
    """Read the stored PDF ``key`` in a document process, within the configured caps."""
    config = current_app.config
    caps = (config["PDF_MAX_PAGES"], config["PDF_MAX_CHARS"], config["PDF_READ_SECONDS"])
    try:
        result = isolated_calls("documents").run(
            "app.files.pdf_text:read_pdf", [str(storage.path_for(key)), *caps, config["PDF_READ_MEMORY_BYTES"]],
            caps[2] + KILL_MARGIN_SECONDS)
    except IsolatedError as exc:
        why = "took too long and was stopped" if exc.kind == "Timeout" else "stopped the process reading it"
        return Reading(UNREADABLE, note=f"This PDF {why}: its text could not be read.")
    except (OSError, ValueError):
        return Reading(UNREADABLE, note="This PDF is missing from storage.")
    return reading_from(result, *caps)


def read_message_documents(message_id: int) -> int:
    """Read the message's documents still ``reading``, tell the room of each, then queue the
    chat's replies; returns how many were read."""
    attachments = db.session.execute(
        sa.select(Attachment.id, Attachment.storage_key, Message.chat_id).join(Message)
        .where(Attachment.message_id == message_id, Attachment.read_state == READING)).all()
    db.session.commit()  # no connection is held while reading
    for attachment_id, key, chat_id in attachments:
        store_reading(attachment_id, chat_id, read_pdf(key))
    if attachments:
        enqueue_replies(attachments[0].chat_id)
    return len(attachments)


def store_reading(attachment_id: int, chat_id: int, reading: Reading) -> None:
    """Store a document's reading (unless it was read meanwhile) and tell the chat's room."""
    changed = db.session.execute(
        sa.update(Attachment).where(Attachment.id == attachment_id, Attachment.read_state == READING)
        .values(read_state=reading.state, extracted_text=reading.text, page_count=reading.pages,
                read_note=reading.note, updated_at=utcnow())).rowcount
    db.session.commit()
    if changed:
        attachment = db.session.get(Attachment, attachment_id)
        realtime.emit_to_chat(chat_id, "attachment.read",
                              {"message_id": attachment.message_id, "attachment": attachment.to_public()})


STUCK_AFTER = timedelta(minutes=20)  # the reading job's limit (``app/platform/queue.py``), and a margin
STUCK_NOTE = "The worker reading this PDF stopped before it finished: its text could not be read."


def give_up_stuck_readings() -> set[int]:
    """Documents still ``reading`` long after their upload (their worker died): marked
    unreadable, so their replies go on; the ids of the chats to answer."""
    stuck = db.session.execute(
        sa.select(Attachment.id, Message.chat_id).join(Message)
        .where(Attachment.read_state == READING, Attachment.created_at < utcnow() - STUCK_AFTER)).all()
    db.session.commit()
    for attachment_id, chat_id in stuck:
        store_reading(attachment_id, chat_id, Reading(UNREADABLE, note=STUCK_NOTE))
    return {chat_id for _, chat_id in stuck}
