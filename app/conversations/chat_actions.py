"""Starting, changing and deleting a chat, shared by the pages and the JSON API so both follow
the same rules: find the chat among the user's own (404 otherwise), change it
(``chats.py``), commit, and tell the room and every member's sidebar. Each takes the acting
user, never the request, and raises :class:`~app.conversations.actions.Refused` with the
reason a person reads."""
from __future__ import annotations

from flask import current_app
from werkzeug.datastructures import FileStorage

from app import realtime
from app.conversations import actions, chats
from app.conversations.actions import Refused
from app.extensions import db
from app.files import storage
from app.identity.scoping import chat_or_404, membership_or_404
from app.models import Account, Chat, User

CHANGEABLE = ("title", "model_id", "instructions")
NOT_YOURS_TO_DELETE = "Only the chat's creator and the account's owners may delete it."


def start_chat(user: User, account: Account, model_id: str | None, title: str | None = None,
               instructions: str | None = None, *, private: bool = False) -> Chat:
    """A new, empty chat in ``account`` (whose membership the caller has checked) on
    ``model_id``, or the default model: the API's way, where posting is a second call. It is
    the creator's alone to see until its first message, which announces it to the account
    (:func:`app.conversations.actions.post`). With ``private``, only its creator sees it
    until they share it (:func:`share_chat`)."""
    chat = _new_chat(user, account, model_id, title, instructions, private=private)
    db.session.commit()
    current_app.logger.info("user %s started chat %s", user.id, chat.id)
    return chat


def start_with_message(user: User, account: Account, model_id: str | None, content: str,
                       files: list[FileStorage] | None = None, *, private: bool = False,
                       image: bool = False) -> tuple[Chat, dict, dict]:
    """The pages' way: a chat is stored with its first message (and that message's pending
    reply), or not at all: a refused message (:class:`Refused`) leaves no empty chat behind.
    Returns the chat and both messages as MESSAGE JSON."""
    chat = _new_chat(user, account, model_id, None, None, private=private)
    try:
        question, reply = actions.post(user, chat.id, content, files, image=image)
    except Refused:
        db.session.rollback()
        raise
    current_app.logger.info("user %s started chat %s with message %s", user.id, chat.id, question["id"])
    return chat, question, reply


def _new_chat(user: User, account: Account, model_id: str | None, title: str | None,
              instructions: str | None, *, private: bool) -> Chat:
    """The chat, added to the session (flushed, not committed)."""
    try:
        chat = chats.create_chat(account, user, model_id, title)
    except chats.ChatError as exc:
        db.session.rollback()
        raise Refused(422, str(exc)) from exc
    chats.set_instructions(chat, instructions)
    chat.private = private
    db.session.flush()
    return chat


def share_chat(user: User, chat_id: int) -> Chat:
    """Share a private chat into its account (its creator only): from now on every member sees
    it, and their sidebars hear of it at once when it has messages."""
    chat = chat_or_404(chat_id, user)
    if chat.creator_id != user.id:
        raise Refused(403, "Only the chat's creator can share it.")
    if not chat.private:
        raise Refused(409, "This chat is already shared with everyone in its account.")
    chat.private = False
    summary = realtime.chat_summary(chat)
    db.session.commit()
    if summary["private_to"] is None and chat.leaf_id is not None:
        realtime.chat_created(summary)
    return chat


def move_chat(user: User, chat_id: int, account_id: int) -> Chat:
    """Move a chat its creator made into another account of theirs, with all of its messages
    and files: its old account's members stop seeing it at once (their sidebars drop it and
    their sockets leave its room), the new account's see it (unless it is private)."""
    chat = chat_or_404(chat_id, user)
    if chat.creator_id != user.id:
        raise Refused(403, "Only the chat's creator can move it.")
    target = membership_or_404(account_id, user).account
    if target.id == chat.account_id:
        raise Refused(409, f"This chat is already in {target.name}.")
    before = realtime.chat_summary(chat)
    chat.account_id = target.id
    db.session.flush()
    after = realtime.chat_summary(chat)
    db.session.commit()
    current_app.logger.info("user %s moved chat %s to account %s", user.id, chat_id, target.id)
    realtime.chat_moved(before, after)
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
    title, summary = chat.display_title, realtime.chat_summary(chat)
    files = chats.delete_chat(chat)
    db.session.commit()
    storage.remove_unreferenced(files)
    current_app.logger.info("user %s deleted chat %s", user.id, chat_id)
    realtime.chat_deleted_event(summary)
    return title
