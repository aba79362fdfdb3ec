"""Starting, changing and deleting a chat, shared by the pages and the JSON API so both follow
the same rules: find the chat among the user's own (404 otherwise), change it
(``chats.py``), commit, and tell the room and every member's sidebar. Each takes the acting
user, never the request, and raises :class:`~app.conversations.actions.Refused` with the
reason a person reads."""
from __future__ import annotations

from flask import current_app

from app import realtime
from app.conversations import chats
from app.conversations.actions import Refused
from app.extensions import db
from app.files import storage
from app.identity.scoping import chat_or_404
from app.models import Account, Chat, User

CHANGEABLE = ("title", "model_id", "instructions")
NOT_YOURS_TO_DELETE = "Only the chat's creator and the account's owners may delete it."


def start_chat(user: User, account: Account, model_id: str | None, title: str | None = None,
               instructions: str | None = None) -> Chat:
    """A new chat in ``account`` (whose membership the caller has checked) on ``model_id``, or
    the default model."""
    try:
        chat = chats.create_chat(account, user, model_id, title)
    except chats.ChatError as exc:
        db.session.rollback()
        raise Refused(422, str(exc)) from exc
    chats.set_instructions(chat, instructions)
    db.session.commit()
    current_app.logger.info("user %s created chat %s", user.id, chat.id)
    realtime.chat_created_event(chat)
    return chat


def change_chat(user: User, chat_id: int, **changes: str | None) -> Chat:
    """Rename the chat, switch its model and/or set its instructions (any member): only the
    ``changes`` given (``title``, ``model_id``, ``instructions``), all or none."""
    chat = chat_or_404(chat_id, user)
    unknown = set(changes) - set(CHANGEABLE)
    if unknown:
        raise ValueError(f"not a chat setting: {', '.join(sorted(unknown))}")
    try:
        if "title" in changes:
            chats.rename(chat, changes["title"] or "")
        if "model_id" in changes:
            chats.change_model(chat, changes["model_id"] or "")
        if "instructions" in changes:
            chats.set_instructions(chat, changes["instructions"])
    except chats.ChatError as exc:
        db.session.rollback()
        raise Refused(422, str(exc)) from exc
    db.session.commit()
    realtime.chat_updated_event(chat)
    return chat


def delete_chat(user: User, chat_id: int) -> str:
    """Delete the chat with its messages and the files no other chat holds (its creator and the
    account's owners only); returns the title it had."""
    chat = chat_or_404(chat_id, user)
    if not chats.may_delete(chat, user):
        raise Refused(403, NOT_YOURS_TO_DELETE)
    title, account_id = chat.display_title, chat.account_id
    files = chats.delete_chat(chat)
    db.session.commit()
    storage.remove_unreferenced(files)
    current_app.logger.info("user %s deleted chat %s", user.id, chat_id)
    realtime.chat_deleted_event(chat_id, account_id)
    return title
