"""People and teams: users, accounts and the memberships between them."""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models.base import Money, TimestampMixin

if TYPE_CHECKING:
    from app.models.tokens import ApiToken

ROLE_OWNER = "owner"
ROLE_MEMBER = "member"
ROLES = (ROLE_OWNER, ROLE_MEMBER)


def with_article(role: str) -> str:
    """"an owner", "a member": a role in a sentence."""
    return f"an {role}" if role == ROLE_OWNER else f"a {role}"


def normalise_email(email: str) -> str:
    return email.strip().lower()


class Account(TimestampMixin, db.Model):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    monthly_limit_usd: Mapped[Decimal | None] = mapped_column(Money)
    member_monthly_limit_usd: Mapped[Decimal | None] = mapped_column(Money)
    # The chat models this account offers (ids), or None: every enabled one, new ones too.
    offered_models: Mapped[list[str] | None] = mapped_column(sa.JSON)
    default_model_id: Mapped[str | None] = mapped_column(sa.String(120))  # None: the model file's default
    # The owners' choices of MCP servers, {server key: on}; a server not named follows its
    # entry's ``default`` in the model file (``app/tools/mcp/config.py``).
    mcp_servers: Mapped[dict[str, bool] | None] = mapped_column(sa.JSON)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="account", cascade="all, delete-orphan"
    )

    def membership_of(self, user: User) -> Membership | None:
        return next((m for m in self.memberships if m.user_id == user.id), None)

    def add_member(self, user: User, role: str = ROLE_MEMBER) -> Membership:
        """Add ``user`` (or change their role if already a member)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        membership = self.membership_of(user)
        if membership is None:
            membership = Membership(account=self, user=user, role=role)
            db.session.add(membership)
        else:
            membership.role = role
        return membership

    def owners(self) -> list[User]:
        return [m.user for m in self.memberships if m.role == ROLE_OWNER]


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    # The account the user last worked in: where a new sign-in starts.
    last_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="SET NULL"))
    # Runs the instance: connects providers and chooses the models (the first user, and whoever
    # an administrator or `flask users create --admin` makes one).
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    api_tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @validates("email")
    def _normalise_email(self, _key: str, email: str) -> str:
        return normalise_email(email)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    @property
    def initials(self) -> str:
        parts = [p for p in self.name.split() if p]
        letters = "".join(p[0] for p in parts[:2]) or self.email[:1]
        return letters.upper()

    def to_public(self) -> dict:
        return {"id": self.id, "name": self.name, "initials": self.initials}


class Membership(TimestampMixin, db.Model):
    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("account_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(16), default=ROLE_MEMBER)

    account: Mapped[Account] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")

    @property
    def is_owner(self) -> bool:
        return self.role == ROLE_OWNER
