"""Bearer tokens for the API: who is asking, and how often they may (SPEC §8, §10).

No session cookie and no CSRF here: a request is its token's owner or a 401.
"""
from __future__ import annotations

import hashlib

from flask import current_app, g, request
from flask_limiter.util import get_remote_address

from app.api import bp
from app.api.errors import api_error
from app.extensions import db, limiter
from app.models import ApiToken, User

REALM = 'Bearer realm="Confab API"'


def _presented_token() -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    credentials = credentials.strip()
    return credentials if scheme.lower() == "bearer" and credentials else None


def rate_limit_key() -> str:
    """Requests are counted per token (by its hash; the token itself is never kept), and
    per address when none is presented."""
    presented = _presented_token()
    if presented is None:
        return f"api-address:{get_remote_address()}"
    return "api-token:" + hashlib.sha256(presented.encode()).hexdigest()


def _unauthorized(message: str, *, invalid: bool):
    response = api_error(401, message, "unauthorized")
    response.headers["WWW-Authenticate"] = REALM + (', error="invalid_token"' if invalid else "")
    return response


@bp.before_request
def authenticate():
    presented = _presented_token()
    if presented is None:
        return _unauthorized("Send an API token in an 'Authorization: Bearer …' header.", invalid=False)
    token = ApiToken.authenticate(presented)
    if token is None:
        return _unauthorized("That API token is unknown or was revoked.", invalid=True)
    if db.session.is_modified(token):
        db.session.commit()
    g.api_token = token
    return None


@bp.before_request
def json_bodies_are_objects():
    """A JSON body, when one is sent, must be a JSON object (spectree reads anything else,
    even invalid JSON, as an empty one)."""
    if request.method in ("POST", "PATCH") and request.is_json and request.get_data():
        if not isinstance(request.get_json(silent=True), dict):
            return api_error(422, "The body must be a JSON object.", "invalid")
    return None


def api_user() -> User:
    return g.api_token.user


def api_token() -> ApiToken:
    return g.api_token


limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=rate_limit_key)(bp)
