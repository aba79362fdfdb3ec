"""Showing a secret once on the page after a redirect (a new API token, an invitation link, a
password-reset link): the secret waits in Redis for a few minutes under a random handle that
the session carries. A signed cookie is readable, so the secret itself never goes in it."""
from __future__ import annotations

import secrets

from flask import session

from app.platform.redis_client import get_redis

HANDOVER_SECONDS = 300


def hand_over(name: str, secret: str) -> None:
    handle = secrets.token_urlsafe(16)
    get_redis().set(f"confab:handover:{handle}", secret, ex=HANDOVER_SECONDS)
    session[f"handover:{name}"] = handle


def take_handed_over(name: str) -> str | None:
    """The secret handed over to this session under ``name``, once; None when there is none
    (or it expired)."""
    handle = session.pop(f"handover:{name}", None)
    if not isinstance(handle, str):
        return None
    key = f"confab:handover:{handle}"
    pipe = get_redis().pipeline()
    pipe.get(key)
    pipe.delete(key)
    secret, _ = pipe.execute()
    return secret.decode() if secret else None
