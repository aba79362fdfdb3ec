"""Personal API tokens; only a hash of each token is stored."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, as_utc, utcnow

if TYPE_CHECKING:
    from app.models.accounts import User

TOKEN_PREFIX = "cfb_"
LAST_USED_GRAIN = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(TimestampMixin, db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="api_tokens")

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiToken, str]:
        """Create a token for ``user``; the plain token is returned once and never stored."""
        plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls(user=user, name=name, token_hash=hash_token(plain))
        db.session.add(token)
        return token, plain

    @classmethod
    def authenticate(cls, plain: str) -> ApiToken | None:
        """The token, its ``last_used_at`` brought up to the minute (not written on every call)."""
        token = db.session.execute(
            sa.select(cls).where(cls.token_hash == hash_token(plain))
        ).scalar_one_or_none()
        now = utcnow()
        if token is not None and (token.last_used_at is None or as_utc(token.last_used_at) < now - LAST_USED_GRAIN):
            token.last_used_at = now
        return token
