"""Signed-in browser sessions that end when they should (SPEC §4, §10).

A session cookie is signed, so it cannot be changed, but it can be copied. Each sign-in
therefore gets a random id kept in the cookie and in a Redis set of the user's live
sessions; every request and every Socket.IO ``join`` checks that set. Signing out removes
the id (a copied cookie stops working at once), "sign out everywhere" removes them all,
and either tells every web process, through the event bus, to disconnect the sockets of
the sessions that ended (``app/chats/events.py``).
"""
from __future__ import annotations

import secrets

from flask import session

from app import realtime
from app.redis_client import get_redis

SESSION_KEY = "sid"
ENDED_EVENT = "session.ended"


def _live_key(user_id: int) -> str:
    return f"confab:user:{user_id}:sessions"


def begin(user_id: int) -> None:
    """Start a new signed-in session for ``user_id`` in this request's cookie."""
    session_id = secrets.token_urlsafe(18)
    get_redis().sadd(_live_key(user_id), session_id)
    session[SESSION_KEY] = session_id


def current_id() -> str | None:
    value = session.get(SESSION_KEY)
    return value if isinstance(value, str) else None


def is_live(user_id: int, session_id: str | None) -> bool:
    return bool(session_id) and bool(get_redis().sismember(_live_key(user_id), session_id))


def end(user_id: int, session_id: str | None) -> None:
    """End one session (signing out): its cookie and its sockets stop working on every web process."""
    if session_id:
        get_redis().srem(_live_key(user_id), session_id)
    realtime.publish([[ENDED_EVENT, None, {"user_id": user_id, "session_id": session_id}]])


def end_all(user_id: int) -> None:
    """End every session of the user (sign out everywhere)."""
    get_redis().delete(_live_key(user_id))
    realtime.publish([[ENDED_EVENT, None, {"user_id": user_id, "session_id": None}]])
