"""The JSON API under ``/api/v1`` (SPEC §8): Bearer tokens, the same services as the pages.

One module per resource (``models_api``, ``chats``, ``messages``, ``attachments``,
``events``), tokens in ``auth``, bodies in ``schemas``, the OpenAPI document in ``spec``,
its reference page in ``reference``.
"""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("api", __name__, url_prefix="/api/v1")
ID = "lookup_id"  # a URL id (app/platform/ids.py): out of range, it finds nothing (404)


def register(app: Flask) -> None:
    from app.api import attachments, auth, chats, events, messages, models_api, reference  # noqa: F401
    from app.extensions import csrf

    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.register_blueprint(reference.bp)
