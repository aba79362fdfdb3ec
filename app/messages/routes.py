"""Views for messages: validate, call the posting service, commit, enqueue, answer 202."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required

from app import realtime
from app.errors import error_response, wants_json
from app.extensions import db
from app.ids import parse_id
from app.jobs.queue import enqueue_replies
from app.messages import actions, bp
from app.models import Message
from app.rendering import public_message
from app.services.current import chat_or_404
from app.services.posting import PostError, cancel_reply, post_user_message


FILES_NOT_YET = "Confab cannot take attached files yet. Send the message without them; nothing was stored."


@bp.post("/chats/<id:chat_id>/messages")
@login_required
def create(chat_id: int):
    chat = chat_or_404(chat_id, for_update=True)
    try:
        if any(upload.filename for _, upload in request.files.items(multi=True)):
            raise PostError(FILES_NOT_YET)
        user_message, reply = post_user_message(chat, current_user, request.form.get("content", ""))
    except PostError as exc:
        db.session.rollback()
        if wants_json():
            return error_response(422, str(exc), "invalid")
        flash(str(exc), "error")
        return redirect(url_for("chats.show", chat_id=chat_id))
    created = [public_message(user_message), public_message(reply)]  # before commit expires them
    summary = realtime.chat_summary(chat)
    user_id = current_user.id
    db.session.commit()
    current_app.logger.info("user %s posted message %s in chat %s", user_id, created[0]["id"], chat_id)
    realtime.messages_created(summary, created)
    enqueue_replies(chat_id)
    if wants_json():
        return {"user_message": created[0], "assistant_message": created[1]}, 202
    return redirect(url_for("chats.show", chat_id=chat_id))


@bp.get("/chats/<id:chat_id>/messages")
@login_required
def since(chat_id: int):
    """The shown path from ``since_id`` on, as MESSAGE JSON with each turn's versions: how a
    page catches up after a reconnect, and reloads the path after a regenerate, edit or switch."""
    chat = chat_or_404(chat_id)
    since_id = parse_id(request.args.get("since_id")) or 0
    return {"leaf_id": chat.leaf_id, "messages": actions.path_json(chat.id, chat.leaf_id, since_id)}


def _acted(action, status: int = 202):
    try:
        changed = action()
    except actions.Refused as exc:
        return error_response(exc.status, exc.message, "refused" if exc.status == 409 else None)
    return changed.as_json(), status


@bp.post("/chats/<id:chat_id>/messages/<id:message_id>/regenerate")
@login_required
def regenerate(chat_id: int, message_id: int):
    """A new answer in place of this one (any member; optionally ``model_id``)."""
    return _acted(lambda: actions.regenerate(current_user, chat_id, message_id, request.form.get("model_id") or None))


@bp.post("/chats/<id:chat_id>/messages/<id:message_id>/edit")
@login_required
def edit(chat_id: int, message_id: int):
    """A new version of the author's question (``content``), answered at once."""
    return _acted(lambda: actions.edit(current_user, chat_id, message_id, request.form.get("content", "")))


@bp.post("/chats/<id:chat_id>/messages/<id:message_id>/show")
@login_required
def show(chat_id: int, message_id: int):
    """Show this version of its turn to everyone in the chat."""
    return _acted(lambda: actions.switch(current_user, chat_id, message_id), 200)


@bp.post("/chats/<id:chat_id>/messages/<id:message_id>/cancel")
@login_required
def cancel(chat_id: int, message_id: int):
    chat = chat_or_404(chat_id)
    message = db.session.execute(
        sa.select(Message).where(Message.id == message_id, Message.chat_id == chat.id)
    ).scalar_one_or_none()
    if message is None:
        abort(404)
    requested = cancel_reply(message)
    if requested and message.status == "cancelled":
        realtime.message_event("message.cancelled", message)
    current_app.logger.info("user %s cancelled message %s", current_user.id, message_id)
    if wants_json():
        return {"cancel_requested": requested, "message": public_message(message)}, 202 if requested else 409
    return redirect(url_for("chats.show", chat_id=chat_id))
