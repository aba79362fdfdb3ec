"""``/api/v1/chats``: list, create, read, change, delete and export chats."""
from __future__ import annotations

from flask import request
from spectree import Response

from app.api import ID, bp
from app.api.auth import api_user
from app.api.errors import api_error, json_body, parsed
from app.api.schemas import (
    ChatChanges,
    ChatExport,
    ChatOut,
    ChatPage,
    ChatQuery,
    ChatWithMessages,
    Deleted,
    Error,
    ExportQuery,
    NewChat,
)
from app.api.spec import api
from app.conversations import chat_actions
from app.conversations import chats as chat_service
from app.conversations.actions import Refused, path_json
from app.identity.scoping import account_for, chat_or_404
from app.web.files import send_export

READ_ERRORS = {"HTTP_401": Error, "HTTP_404": Error, "HTTP_422": Error, "HTTP_429": Error}


@bp.get("/chats")
@api.validate(query=ChatQuery, resp=Response(HTTP_200=ChatPage, **READ_ERRORS), tags=["chats"])
def list_chats():
    """The account's chats, most recently active first: every chat with a message, and your
    own empty ones (another member's chat is listed from its first message on).

    Pages of `limit` chats; pass `next_cursor` back as `cursor` for the next page."""
    query: ChatQuery = request.context.query
    user = api_user()
    account = account_for(user, query.account_id)
    chats, next_after = chat_service.list_chats(account, user.id, search=query.q or "",
                                                after_id=int(query.cursor) if query.cursor else None,
                                                limit=query.limit)
    return {"chats": [c.to_public() for c in chats], "next_cursor": str(next_after) if next_after else None}


@bp.post("/chats")
@api.validate(json=NewChat, resp=Response(HTTP_201=ChatOut, HTTP_415=Error, **READ_ERRORS), tags=["chats"])
def create_chat():
    """Start a chat in one of your accounts."""
    body = json_body(request.context.json)
    user = api_user()
    account = account_for(user, body.account_id)
    try:
        chat = chat_actions.start_chat(user, account, body.model_id, body.title, body.instructions,
                                       private=body.private)
    except Refused as exc:
        return api_error(exc.status, exc.message, "invalid")
    return chat.to_public(), 201


@bp.get(f"/chats/<{ID}:chat_id>")
@api.validate(resp=Response(HTTP_200=ChatWithMessages, **READ_ERRORS), tags=["chats"])
def get_chat(chat_id: int):
    """A chat with the shown path of its messages.

    Each turn's versions are listed in `siblings`."""
    chat = chat_or_404(chat_id, api_user())
    return {**chat.to_public(), "messages": path_json(chat.id, chat.leaf_id)}


@bp.patch(f"/chats/<{ID}:chat_id>")
@api.validate(json=ChatChanges, resp=Response(HTTP_200=ChatOut, HTTP_415=Error, **READ_ERRORS), tags=["chats"])
def change_chat(chat_id: int):
    """Rename the chat, switch its model or set its instructions (any member).

    Only the fields sent change; everyone in the chat sees it at once (`chat.updated`)."""
    body = json_body(request.context.json)
    user = api_user()
    sent = body.model_fields_set
    if not sent:
        chat_or_404(chat_id, user)
        return api_error(422, "Send at least one of title, model_id and instructions.", "invalid")
    try:
        chat = chat_actions.change_chat(user, chat_id, **{name: getattr(body, name) for name in sent})
    except Refused as exc:
        return api_error(exc.status, exc.message, "invalid")
    return chat.to_public()


@bp.delete(f"/chats/<{ID}:chat_id>")
@api.validate(resp=Response(HTTP_200=Deleted, HTTP_403=Error, **READ_ERRORS), tags=["chats"])
def delete_chat(chat_id: int):
    """Delete the chat, its messages and files (its creator and the account's owners only)."""
    try:
        chat_actions.delete_chat(api_user(), chat_id)
    except Refused as exc:
        return api_error(exc.status, exc.message)
    return {"deleted": chat_id}


@bp.get(f"/chats/<{ID}:chat_id>/export")
@api.validate(query=ExportQuery, resp=Response(HTTP_200=ChatExport, **READ_ERRORS), tags=["chats"],
              skip_validation=True)
def export_chat(chat_id: int):
    """The chat as a Markdown document or as JSON, to download.

    `format=md` (default) answers `text/markdown`; `format=json` the chat and its MESSAGE objects. Both hold the shown path: each message's author, time, model, tokens, cost,
    attachments, tool calls and reasoning."""
    query = parsed(ExportQuery, request.args.to_dict())
    chat = chat_or_404(chat_id, api_user())
    return send_export(chat, query.format)

