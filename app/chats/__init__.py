"""Chat pages, their template helpers (``templating.py``) and the chat room Socket.IO handlers (``events.py``)."""
from flask import Blueprint

bp = Blueprint("chats", __name__)

from app.chats import events, routes, templating  # noqa: E402,F401
