"""Posting messages into a chat and cancelling replies."""
from flask import Blueprint

bp = Blueprint("messages", __name__)

from app.messages import routes  # noqa: E402,F401
