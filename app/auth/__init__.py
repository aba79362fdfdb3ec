"""Sign-up, sign-in and sign-out (SPEC §8, §10); one's own profile and password, and
password-reset links (``profile.py``)."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import profile, routes  # noqa: E402,F401
