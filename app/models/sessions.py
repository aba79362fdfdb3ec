"""Signed-in browser sessions (``app/identity/sessions.py``)."""
from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import utcnow


def hash_session_id(session_id: str) -> str:
    """Only a hash is stored: a copy of this table cannot be replayed as cookies."""
    return hashlib.sha256(session_id.encode()).hexdigest()


class UserSession(db.Model):
    """One signed-in browser session; the id itself lives only in the signed session cookie."""

    __tablename__ = "user_sessions"

    id_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
