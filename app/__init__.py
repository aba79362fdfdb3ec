"""Confab: self-hosted, multi-user AI chat for teams.

``create_app`` builds the Flask app (``factory.py``). Importing this package loads nothing
else, so a process that needs one small part of Confab (a tool's own process,
``app/platform/isolated.py``) does not load Flask, the database layer or the SDK.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from app.config import Config

if TYPE_CHECKING:
    from flask import Flask


def create_app(config_class: type[Config] = Config, *, role: str = "cli") -> Flask:
    """Build the app.

    ``role`` is ``web`` (serves Socket.IO; only ``wsgi.py`` and tests ask for it),
    or ``worker``/``cli`` (emit events through the Redis queue, never serve them).
    """
    from app.factory import build_app

    return build_app(config_class, role)
