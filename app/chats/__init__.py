"""Chat pages and the chat room Socket.IO handlers (``events.py``)."""
from flask import Blueprint

bp = Blueprint("chats", __name__)

from app.chats import events, routes  # noqa: E402,F401
