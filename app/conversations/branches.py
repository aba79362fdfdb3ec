"""Changing the conversation without losing any of it (issue 13): regenerate or retry a
reply, edit a question, and switch which version of a turn everyone is shown.

A chat is a tree (``Message.parent_id``); the chat's ``leaf_id`` ends the path its members
see and the model is sent. Nothing here deletes: a new version is a sibling of the old one,
and switching only moves the leaf. ``chat`` must be loaded ``FOR UPDATE``.
"""
from __future__ import annotations

from app.conversations import tree
from app.conversations.posting import (
    PostError,
    answering_model,
    ask,
    clean_content,
    drawing_model,
    is_image_request,
    picture_request_text,
)
from app.extensions import db
from app.models import Chat, LlmModel, Message, User
from app.models.base import utcnow
from app.models.chats import PENDING


class BranchError(PostError):
    """A change that cannot be made now (409): the text is for the user."""


class NotYours(PostError):
    """Only the author may do this (403)."""


def regenerate(chat: Chat, reply: Message, user: User, model_id: str | None = None) -> Message:
    """A new answer to the question ``reply`` answered, shown in its place; ``reply`` is kept.
    Retrying a failed, cancelled or interrupted reply is the same thing. A picture is drawn
    again by the image model unless another model is asked for."""
    if reply.role != "assistant" or reply.parent_id is None:
        raise BranchError("Only an answer can be regenerated.")
    if reply.is_unfinished:
        raise BranchError("This answer is still being written. Stop it first, or wait for it to finish.")
    answered_by = db.session.get(LlmModel, reply.model_id) if reply.model_id else None
    drew = answered_by is not None and answered_by.kind == "image"
    model = drawing_model(chat, user) if drew and model_id is None else answering_model(chat, user, model_id)
    new = Message(chat=chat, user=None, role="assistant", content="", status=PENDING, model_id=model.id,
                  parent_id=reply.parent_id, reply_to_id=reply.reply_to_id or reply.parent_id,
                  attachments=[], tool_calls=[])
    db.session.add(new)
    db.session.flush()
    chat.leaf_id = new.id
    chat.updated_at = utcnow()
    return new


def edit(chat: Chat, question: Message, user: User, content: str) -> tuple[Message, Message]:
    """A new version of ``question`` with ``content``, answered at once; the old question and
    everything after it stay on their own branch. Only its author may edit a question."""
    if question.role != "user":
        raise BranchError("Only a question can be edited.")
    if question.user_id != user.id:
        raise NotYours("Only the person who asked this can edit it.")
    if is_image_request(content):  # an edited picture request is drawn again
        return ask(chat, user, picture_request_text(content), question.parent_id, drawing_model(chat, user))
    content = clean_content(content)
    model = answering_model(chat, user)
    return ask(chat, user, content, question.parent_id, model)


def show(chat: Chat, version: Message) -> int:
    """Show ``version`` of its turn to everyone, with the newest path below it; returns the leaf."""
    chat.leaf_id = tree.newest_leaf_under(version.id)
    return chat.leaf_id
