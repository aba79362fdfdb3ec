"""Sign-up, sign-in and sign-out (SPEC §8, §10)."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import routes  # noqa: E402,F401
