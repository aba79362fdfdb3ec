"""Files as HTTP answers: a stored attachment (never as HTML, never sniffed, SPEC §6, §10)
and a chat's export (SPEC §8). The pages and the API call these; finding what may be sent
is ``app/identity/scoping.py``'s."""
from __future__ import annotations

from flask import Response, abort, current_app, request

from app.conversations import export
from app.extensions import talisman
from app.files import storage
from app.models import Attachment, Chat

INLINE_PREFIXES = ("image/", "audio/")
FILE_CSP = "default-src 'none'; sandbox"
# A view that sends a file: the site's CSP (which Flask-Talisman sets on every answer) gives way
# to the file's own, so a file opened in a tab can run nothing and reach nothing.
sends_files = talisman(content_security_policy=FILE_CSP)


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
    response.cache_control.private = True
    response.cache_control.max_age = 3600
    response.set_etag(attachment.sha256)
    return response.make_conditional(request, accept_ranges=True, complete_length=len(data))


def send_export(chat: Chat, fmt: str) -> Response:
    """The chat as a file to save: Markdown, or JSON (``format=md|json``)."""
    if fmt == "json":
        response = current_app.json.response(export.as_json(chat))
    else:
        response = Response(export.as_markdown(chat), mimetype="text/markdown")
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename(chat, fmt)}"'
    return response
