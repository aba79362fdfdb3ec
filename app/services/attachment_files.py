"""Serving a stored attachment to a member: never as HTML, never sniffed (SPEC §6, §10)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, request

from app.extensions import db
from app.models import Attachment, Chat, Message, User
from app.services import storage
from app.services.current import member_chats_query

INLINE_PREFIXES = ("image/", "audio/")


def attachment_or_404(user: User, attachment_id: int) -> Attachment:
    """An attachment of a message in a chat ``user`` may see; 404 otherwise."""
    visible_chats = member_chats_query(user).with_only_columns(Chat.id)
    attachment = db.session.execute(
        sa.select(Attachment).join(Attachment.message)
        .where(Attachment.id == attachment_id, Message.chat_id.in_(visible_chats))
    ).scalar_one_or_none()
    if attachment is None:
        abort(404)
    return attachment


def send_attachment(attachment: Attachment) -> Response:
    """The file with its stored type: inline for images and audio, a download otherwise;
    cacheable by its hash (ETag, 304) and readable in ranges (audio seeking)."""
    try:
        path = storage.path_for(attachment.storage_key)
        data = path.read_bytes()
    except (ValueError, OSError):
        abort(404)
    inline = attachment.content_type.startswith(INLINE_PREFIXES)
    response = Response(data, mimetype=attachment.content_type)
    response.headers.set("Content-Disposition", "inline" if inline else "attachment", filename=attachment.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.cache_control.private = True
    response.cache_control.max_age = 3600
    response.set_etag(attachment.sha256)
    return response.make_conditional(request, accept_ranges=True, complete_length=len(data))
