"""Account pages: the account, its people and invitations, joining one, switching, API tokens."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)

from app.accounts import joining, people, routes  # noqa: E402,F401
