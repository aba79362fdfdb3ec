"""Signed-in browser sessions that end when they should (SPEC §4, §10).

A session cookie is signed, so it cannot be changed, but it can be copied. Each sign-in
therefore gets a random id, kept in the cookie and (hashed) in ``user_sessions``; every
request and every Socket.IO ``join`` checks it is still there. Signing out deletes that
row (a copied cookie stops working at once), "sign out everywhere" deletes them all, and
either tells every web process, through the event bus, to disconnect the sockets of the
sessions that ended (``app/chats/connections.py``). The rows are in the database, not in
Redis, so a Redis restart signs nobody out.
"""
from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import session

from app import realtime
from app.extensions import db
from app.models import User, UserSession
from app.models.sessions import hash_session_id

SESSION_KEY = "sid"
ENDED_EVENT = "session.ended"


def begin(user: User) -> None:
    """Start a new signed-in session for ``user`` in this request's cookie (the caller commits)."""
    if user.id is None:
        db.session.flush()
    session_id = secrets.token_urlsafe(32)
    db.session.add(UserSession(id_hash=hash_session_id(session_id), user_id=user.id))
    session[SESSION_KEY] = session_id


def current_id() -> str | None:
    value = session.get(SESSION_KEY)
    return value if isinstance(value, str) else None


# Built once: every request loads its user with them, and a statement built afresh costs the
# web process more CPU than PostgreSQL takes to answer it.
_LIVE = sa.exists().where(UserSession.id_hash == sa.bindparam("id_hash"),
                          UserSession.user_id == sa.bindparam("user_id"))
_SIGNED_IN_USER = sa.select(User).where(User.id == sa.bindparam("user_id"), _LIVE)
_IS_LIVE = sa.select(_LIVE)


def _params(user_id: int, session_id: str) -> dict:
    return {"user_id": user_id, "id_hash": hash_session_id(session_id)}


def signed_in_user(user_id: int, session_id: str | None) -> User | None:
    """The user, if ``session_id`` is one of their live sessions: one query."""
    if not session_id:
        return None
    return db.session.execute(_SIGNED_IN_USER, _params(user_id, session_id)).scalar()


def is_live(user_id: int, session_id: str | None) -> bool:
    return bool(session_id) and bool(db.session.execute(_IS_LIVE, _params(user_id, session_id)).scalar())


def end(user_id: int, session_id: str | None) -> None:
    """End one session (signing out): its cookie and its sockets stop working on every web process."""
    if session_id:
        db.session.execute(sa.delete(UserSession).where(UserSession.id_hash == hash_session_id(session_id)))
    db.session.commit()
    realtime.publish([[ENDED_EVENT, None, {"user_id": user_id, "session_id": session_id}]])


def end_others(user_id: int, keep_session_id: str | None) -> None:
    """End every session of the user but ``keep_session_id`` (a password change)."""
    query = sa.delete(UserSession).where(UserSession.user_id == user_id)
    if keep_session_id:
        query = query.where(UserSession.id_hash != hash_session_id(keep_session_id))
    db.session.execute(query)
    db.session.commit()
    realtime.publish([[ENDED_EVENT, None, {"user_id": user_id, "session_id": None, "kept": keep_session_id}]])


def end_all(user_id: int) -> None:
    """End every session of the user (sign out everywhere)."""
    db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user_id))
    db.session.commit()
    realtime.publish([[ENDED_EVENT, None, {"user_id": user_id, "session_id": None}]])
