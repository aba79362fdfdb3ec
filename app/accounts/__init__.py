"""Account pages: the account, its people and invitations, joining one, switching, API tokens."""
from flask import Blueprint

from app.models.accounts import with_article

bp = Blueprint("accounts", __name__)
bp.add_app_template_filter(with_article, "with_article")  # "an owner", "a member"

from app.accounts import joining, people, routes  # noqa: E402,F401
