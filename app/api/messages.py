"""``/api/v1/chats/{id}/messages`` and ``/api/v1/messages/{id}``: post, read and cancel."""
from __future__ import annotations

from flask import request
from spectree import Response

from app.api import ID, bp
from app.api.auth import api_user
from app.api.errors import api_error
from app.api.schemas import CancelResult, Error, MessageOut, NewMessage, NewMessageForm, Posted
from app.api.spec import api
from app.conversations import actions, tree
from app.conversations.rendering import public_message
from app.engine import live_state
from app.identity.scoping import message_or_404

ERRORS = {"HTTP_401": Error, "HTTP_404": Error, "HTTP_422": Error, "HTTP_429": Error}


@bp.post(f"/chats/<{ID}:chat_id>/messages")
@api.validate(json=NewMessage, form=NewMessageForm,
              resp=Response(HTTP_202=Posted, HTTP_413=Error, **ERRORS), tags=["messages"])
def post_message(chat_id: int):
    """Ask in the chat: your message and the pending reply, which streams on the chat's events.

    Send JSON `{"content": "…"}`, or a multipart form with `content` and `files`. With
    `"image": true` (or content starting `/image `) the chat's image model draws the content,
    and the reply carries the picture as an attachment. The same
    rules as the chat page apply: the model must be available and the budgets not spent
    (422 says which); a reply still streaming in the chat is answered first."""
    body = request.context.json or request.context.form
    try:
        user_message, reply = actions.post(api_user(), chat_id, body.content, request.files.getlist("files"),
                                           image=body.image)
    except actions.Refused as exc:
        return api_error(exc.status, exc.message, "too_large" if exc.status == 413 else "invalid")
    return {"user_message": user_message, "assistant_message": reply}, 202


@bp.get(f"/messages/<{ID}:message_id>")
@api.validate(resp=Response(HTTP_200=MessageOut, **ERRORS), tags=["messages"])
def get_message(message_id: int):
    """One message; a reply still streaming with its text so far."""
    message = message_or_404(api_user(), message_id)
    public = public_message(message, tree.siblings_of(message))
    return tree.with_live_text(public, live_state.snapshot(message.id)) if message.is_unfinished else public


@bp.post(f"/messages/<{ID}:message_id>/cancel")
@api.validate(resp=Response(HTTP_202=CancelResult, HTTP_409=CancelResult, **ERRORS), tags=["messages"])
def cancel_message(message_id: int):
    """Stop a pending or streaming reply; it keeps the text it had. 409 when it had already ended."""
    requested, message = actions.cancel(api_user(), message_id)
    return {"cancel_requested": requested, "message": public_message(message)}, 202 if requested else 409
