"""Posting, cancelling, regenerating, editing and switching versions, shared by the pages,
the Socket.IO events and the JSON API so all follow the same rules: find the chat and
message among the user's own (404 otherwise), change them (``app/conversations/posting.py``,
``app/conversations/branches.py``), commit, tell the room, and queue the new reply. Each takes
the acting user, never the request."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import abort, current_app
from werkzeug.datastructures import FileStorage

from app import realtime
from app.conversations import announce, branches, tree
from app.conversations.posting import PostError, cancel_reply, is_image_request, post_image_request, post_user_message
from app.conversations.rendering import public_message
from app.extensions import db
from app.files import uploads
from app.identity.scoping import chat_or_404, message_or_404
from app.models import Message, User
from app.models.chats import READING
from app.platform.queue import enqueue_reading, enqueue_replies
from app.platform.redis_client import get_redis


@dataclass
class Changed:
    """What an action did: the messages it created (MESSAGE JSON) and the new shown leaf."""

    leaf_id: int
    created: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        data: dict = {"leaf_id": self.leaf_id}
        for message in self.created:
            data[f"{message['role']}_message"] = message
        return data


class Refused(Exception):
    """The action was refused; ``status`` is 403, 409 or 422 and ``message`` says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _target(user: User, chat_id: int, message_id: int):
    chat = chat_or_404(chat_id, user, for_update=True)
    message = db.session.execute(
        sa.select(Message).where(Message.id == message_id, Message.chat_id == chat.id)
    ).scalar_one_or_none()
    if message is None:
        abort(404)
    return chat, message


def _finish(chat, created: list[Message]) -> Changed:
    versions = tree.versions(chat.id, created)
    public = [m.to_public(None, versions.get(m.id)) for m in created]
    changed = Changed(leaf_id=chat.leaf_id, created=public)
    summary = realtime.chat_summary(chat)
    db.session.commit()
    _announce_and_enqueue(summary, public, enqueue=bool(created), new_leaf_id=changed.leaf_id)
    return changed


def _announce_and_enqueue(summary: dict, created: list[dict], *, enqueue: bool = True,
                          new_leaf_id: int | None = None) -> None:
    """Tell the room about the new messages and queue their reply, in one Redis round trip;
    the events go first, so the room hears of a reply before any of its deltas. A question
    with documents to read queues their reading instead, which queues the reply when done."""
    reading = [m["id"] for m in created if any(a["read_state"] == READING for a in m.get("attachments", []))]
    with get_redis().pipeline() as pipe:
        pipe.multi()  # before the first command: RQ's enqueue asks for a transaction begun
        realtime.messages_created(summary, created, new_leaf_id=new_leaf_id, pipeline=pipe)
        for message_id in reading:
            enqueue_reading(message_id, pipeline=pipe)
        if enqueue and not reading:
            enqueue_replies(summary["chat_id"], pipeline=pipe)
        pipe.execute()


def _run(change):
    try:
        return change()
    except branches.NotYours as exc:
        db.session.rollback()
        raise Refused(403, str(exc)) from exc
    except branches.BranchError as exc:
        db.session.rollback()
        raise Refused(409, str(exc)) from exc
    except PostError as exc:
        db.session.rollback()
        raise Refused(422, str(exc)) from exc


def post(user: User, chat_id: int, content: str, files: list[FileStorage] | None = None,
         *, image: bool = False) -> tuple[dict, dict]:
    """Store ``user``'s message (with its ``files``) at the end of the shown path and its
    pending reply, tell the room and queue the reply; both as MESSAGE JSON. A picture request
    (``image``, or ``/image …``) is answered by the image model. :class:`Refused` (413 or 422)
    says why not, before anything is stored."""
    chat = chat_or_404(chat_id, user, for_update=True)
    config = current_app.config
    try:
        if is_image_request(content, image):
            user_message, reply = post_image_request(chat, user, content,
                                                     has_files=any(f.filename for f in files or []))
            return _posted(chat, user, user_message, reply)
        checked = uploads.check_message(
            [(f.filename, f.read()) for f in files or [] if f.filename or f.content_length],
            max_files=config["MAX_FILES_PER_MESSAGE"], max_file_bytes=config["MAX_UPLOAD_BYTES"],
            max_total_bytes=config["MAX_MESSAGE_UPLOAD_BYTES"])
        user_message, reply = post_user_message(chat, user, content, checked)
    except uploads.UploadError as exc:
        db.session.rollback()
        raise Refused(exc.status, str(exc)) from exc
    except PostError as exc:
        db.session.rollback()
        raise Refused(422, str(exc)) from exc
    return _posted(chat, user, user_message, reply)


def _posted(chat, user: User, user_message: Message, reply: Message) -> tuple[dict, dict]:
    chat_id = chat.id
    first = user_message.parent_id is None  # the chat's first message: the account hears of the chat now
    created = [public_message(user_message), public_message(reply)]  # before commit expires them
    summary = realtime.chat_summary(chat)
    user_id = user.id
    db.session.commit()
    current_app.logger.info("user %s posted message %s in chat %s", user_id, created[0]["id"], chat_id)
    if first:
        realtime.chat_created(summary)
    _announce_and_enqueue(summary, created)
    return created[0], created[1]


def cancel(user: User, message_id: int, chat_id: int | None = None) -> tuple[bool, Message]:
    """Stop a pending or streaming reply; whether a cancel was requested, and the message."""
    message = message_or_404(user, message_id, chat_id)
    requested = cancel_reply(message)
    if requested and message.status == "cancelled":
        announce.message_event("message.cancelled", message)
    current_app.logger.info("user %s cancelled message %s", user.id, message_id)
    return requested, message


def regenerate(user: User, chat_id: int, message_id: int, model_id: str | None = None) -> Changed:
    chat, reply = _target(user, chat_id, message_id)
    new = _run(lambda: branches.regenerate(chat, reply, user, model_id))
    return _finish(chat, [new])


def edit(user: User, chat_id: int, message_id: int, content: str) -> Changed:
    chat, question = _target(user, chat_id, message_id)
    created = _run(lambda: branches.edit(chat, question, user, content))
    return _finish(chat, list(created))


def switch(user: User, chat_id: int, message_id: int) -> Changed:
    chat, version = _target(user, chat_id, message_id)
    branches.show(chat, version)
    return _finish(chat, [])


def path_json(chat_id: int, leaf_id: int | None, since_id: int = 0) -> list[dict]:
    """The shown path from ``since_id`` on, as MESSAGE JSON with each turn's versions."""
    path = tree.path_to(leaf_id)
    versions = tree.versions(chat_id, path)
    return [public_message(m, versions.get(m.id)) for m in path if m.id >= since_id]
