"""The usage page: tokens and cost per day, model and member, budgets, and a CSV download."""
from flask import Blueprint

bp = Blueprint("usage", __name__)

from app.usage import routes  # noqa: E402,F401
