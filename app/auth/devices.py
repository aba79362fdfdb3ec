"""Browsers that have signed in before ("known devices").

The per-email sign-in limit lets a known device through, so someone guessing passwords
for an email cannot lock its owner out of their own browser. The cookie is signed (it
cannot be forged for another email) and holds only fingerprints of the emails.
"""
from __future__ import annotations

import hashlib

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from app.models import normalise_email

COOKIE = "confab_known"
KEEP = 5
MAX_AGE = 365 * 24 * 3600


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="confab-known-device")


def _fingerprint(email: str) -> str:
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()[:24]


def _known() -> list[str]:
    try:
        value = _serializer().loads(request.cookies.get(COOKIE, ""))
    except BadSignature:
        return []
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def is_known(email: str) -> bool:
    """Has this browser signed in with ``email`` before?"""
    return bool(email) and _fingerprint(email) in _known()


def remember(response: Response, email: str) -> None:
    """After a successful sign-in: this browser is known for ``email`` from now on."""
    known = [f for f in _known() if f != _fingerprint(email)][-(KEEP - 1):] + [_fingerprint(email)]
    response.set_cookie(COOKIE, _serializer().dumps(known), max_age=MAX_AGE, httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
