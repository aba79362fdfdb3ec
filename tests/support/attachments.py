"""Attachments made directly, for tests of who may read them."""
from __future__ import annotations

import hashlib

from app.extensions import db
from app.files import storage
from app.models import Attachment, Message


def stored_attachment(message: Message, data: bytes, filename: str, content_type: str) -> Attachment:
    """A file in storage (named by its sha256) and its row on ``message``."""
    digest = hashlib.sha256(data).hexdigest()
    storage.path_for(digest).write_bytes(data)
    attachment = Attachment(message=message, filename=filename, content_type=content_type, byte_size=len(data),
                            sha256=digest, storage_key=digest)
    db.session.add(attachment)
    db.session.flush()
    return attachment
