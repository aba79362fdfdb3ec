"""Views for messages: validate, call the posting service, commit, enqueue, answer 202."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user, login_required

from app.conversations import actions
from app.conversations.rendering import public_message
from app.identity.scoping import attachment_or_404, chat_or_404
from app.messages import bp
from app.platform.ids import parse_id
from app.web.errors import error_response, wants_json
from app.web.files import send_attachment, sends_files


@bp.post("/chats/<id:chat_id>/messages")
@login_required
def create(chat_id: int):
    try:
        user_message, reply = actions.post(current_user, chat_id, request.form.get("content", ""),
                                           request.files.getlist("files"), image=request.form.get("mode") == "image")
    except actions.Refused as exc:
        if wants_json():
            return error_response(exc.status, exc.message, "too_large" if exc.status == 413 else "invalid")
        flash(exc.message, "error")
        return redirect(url_for("chats.show", chat_id=chat_id))
    if wants_json():
        return {"user_message": user_message, "assistant_message": reply}, 202
    return redirect(url_for("chats.show", chat_id=chat_id))


@bp.get("/attachments/<id:attachment_id>")
@sends_files
@login_required
def attachment(attachment_id: int):
    """A file of a message in one of the member's chats (404 for anyone else)."""
    return send_attachment(attachment_or_404(current_user, attachment_id))


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
    requested, message = actions.cancel(current_user, message_id, chat_id)
    if wants_json():
        return {"cancel_requested": requested, "message": public_message(message)}, 202 if requested else 409
    return redirect(url_for("chats.show", chat_id=chat_id))
