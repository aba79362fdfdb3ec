"""Invitations into an account: nobody becomes a member without accepting one (SPEC §3)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.accounts import Account, User
from app.models.base import TimestampMixin, as_utc, utcnow


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> tuple[str, str]:
    """A secret for a link, and the hash that is stored (the secret itself never is)."""
    secret = secrets.token_urlsafe(24)
    return secret, hash_secret(secret)


class Invitation(TimestampMixin, db.Model):
    """An owner's invitation: to one email address (used once), or a link anyone holding it may
    use up to ``max_uses`` times. Either ends at ``expires_at``, when revoked, or, for an
    email's, when declined."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    inviter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    email: Mapped[str | None] = mapped_column(sa.String(254), index=True)
    role: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    max_uses: Mapped[int] = mapped_column(default=1)
    uses: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    declined_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    account: Mapped[Account] = relationship()
    inviter: Mapped[User | None] = relationship()

    @property
    def is_open(self) -> bool:
        return (self.revoked_at is None and self.declined_at is None and self.uses < self.max_uses
                and as_utc(self.expires_at) > utcnow())

    @property
    def inviter_name(self) -> str:
        return self.inviter.name if self.inviter is not None else "An owner"


class PasswordReset(TimestampMixin, db.Model):
    """A one-time link that sets a new password, made by an owner for a member or by an
    administrator (``flask users reset-link``)."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship()

    @property
    def is_open(self) -> bool:
        return self.used_at is None and as_utc(self.expires_at) > utcnow()
