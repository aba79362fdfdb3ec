"""``/api/v1/chats``: list, create, read, change, delete and export chats."""
from __future__ import annotations

from flask import current_app, request
from spectree import Response

from app import realtime
from app.api import ID, bp
from app.api.auth import api_user
from app.api.errors import api_error, json_body, parsed
from app.api.schemas import (ChatChanges, ChatExport, ChatOut, ChatPage, ChatQuery, ChatWithMessages, Deleted, Error,
                             ExportQuery, NewChat)
from app.api.spec import api
from app.extensions import db
from app.messages.actions import path_json
from app.services import chats as chat_service
from app.services import export, storage
from app.services.current import account_for, chat_or_404

READ_ERRORS = {"HTTP_401": Error, "HTTP_404": Error, "HTTP_422": Error, "HTTP_429": Error}


@bp.get("/chats")
@api.validate(query=ChatQuery, resp=Response(HTTP_200=ChatPage, **READ_ERRORS), tags=["chats"])
def list_chats():
    """The account's chats, most recently active first.

    Pages of `limit` chats; pass `next_cursor` back as `cursor` for the next page."""
    query: ChatQuery = request.context.query
    account = account_for(api_user(), query.account_id)
    chats, next_after = chat_service.list_chats(account, search=query.q or "",
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
        chat = chat_service.create_chat(account, user, body.model_id, body.title)
    except chat_service.ChatError as exc:
        return api_error(422, str(exc), "invalid")
    chat_service.set_instructions(chat, body.instructions)
    db.session.commit()
    current_app.logger.info("user %s created chat %s through the API", user.id, chat.id)
    realtime.chat_created_event(chat)
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
    chat = chat_or_404(chat_id, api_user())
    sent = body.model_fields_set
    if not sent:
        return api_error(422, "Send at least one of title, model_id and instructions.", "invalid")
    try:
        if "title" in sent:
            chat_service.rename(chat, body.title or "")
        if "model_id" in sent:
            chat_service.change_model(chat, body.model_id or "")
        if "instructions" in sent:
            chat_service.set_instructions(chat, body.instructions)
    except chat_service.ChatError as exc:
        db.session.rollback()
        return api_error(422, str(exc), "invalid")
    db.session.commit()
    realtime.chat_updated_event(chat)
    return chat.to_public()


@bp.delete(f"/chats/<{ID}:chat_id>")
@api.validate(resp=Response(HTTP_200=Deleted, HTTP_403=Error, **READ_ERRORS), tags=["chats"])
def delete_chat(chat_id: int):
    """Delete the chat, its messages and files (its creator and the account's owners only)."""
    user = api_user()
    chat = chat_or_404(chat_id, user)
    if not chat_service.may_delete(chat, user):
        return api_error(403, "Only the chat's creator and the account's owners may delete it.")
    account_id = chat.account_id
    files = chat_service.delete_chat(chat)
    db.session.commit()
    storage.remove_unreferenced(files)
    current_app.logger.info("user %s deleted chat %s through the API", user.id, chat_id)
    realtime.chat_deleted_event(chat_id, account_id)
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
    return export.download(chat, query.format)

