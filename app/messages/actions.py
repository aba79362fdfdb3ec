"""Regenerate, edit and switch versions (issue 13), shared by the routes and the Socket.IO
events so both follow the same rules: find the chat and message among the user's own (404
otherwise), change the tree (``app/services/branches.py``), commit, tell the room, and queue
the new reply."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import abort

from app import realtime
from app.extensions import db
from app.jobs.queue import enqueue_replies
from app.models import Message, User
from app.rendering import public_message
from app.services import branches, conversation
from app.services.current import chat_or_404
from app.services.posting import PostError


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
    versions = conversation.versions(chat.id, created)
    public = [m.to_public(None, versions.get(m.id)) for m in created]
    changed = Changed(leaf_id=chat.leaf_id, created=public)
    summary = realtime.chat_summary(chat)
    db.session.commit()
    realtime.messages_created(summary, public, new_leaf_id=changed.leaf_id)
    if created:
        enqueue_replies(summary["chat_id"])
    return changed


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
    path = conversation.path_to(leaf_id)
    versions = conversation.versions(chat_id, path)
    return [public_message(m, versions.get(m.id)) for m in path if m.id >= since_id]
