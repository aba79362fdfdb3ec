"""Changing a password, and one-time links that set a new one (SPEC §8, issue 32).

A change needs the current password and ends every other session of the person (their
sockets too, on every web process). A reset link is made by an administrator (``flask users
reset-link``) or by an owner for a member whose every account that owner owns (anyone else's
password would open accounts the owner has no say in); it works once, for an hour, and
using it ends every session. Both commit as they end the sessions (the sockets are told
after the commit); making a link leaves the commit to the caller.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.identity import sessions
from app.identity.accounts import AccountError, authenticate, password_problem
from app.models import Membership, PasswordReset, User
from app.models.accounts import ROLE_OWNER
from app.models.base import utcnow
from app.models.invitations import hash_secret, new_secret
from app.platform.validators import normalised

RESET_LINK_HOURS = 1


def rename(user: User, name: str) -> None:
    name = normalised(name)
    if not name:
        raise AccountError("Enter your name.")
    user.name = name


def change_password(user: User, current: str, new: str, keep_session_id: str | None) -> None:
    """Set ``new`` once ``current`` is right; every other session ends."""
    if authenticate(user.email, current) is None:
        raise AccountError("That is not your current password.")
    if problem := password_problem(new):
        raise AccountError(problem)
    user.set_password(new)
    sessions.end_others(user.id, keep_session_id)


def may_reset(owner: User, member: User) -> bool:
    """Whether ``owner`` may make a reset link for ``member``: owner of every account ``member`` is in."""
    theirs = set(db.session.execute(sa.select(Membership.account_id).where(Membership.user_id == member.id)).scalars())
    owned = set(db.session.execute(sa.select(Membership.account_id).where(
        Membership.user_id == owner.id, Membership.role == ROLE_OWNER)).scalars())
    return member.id != owner.id and bool(theirs) and theirs <= owned


def reset_link_secret(user: User) -> str:
    """A new one-time reset secret for ``user`` (earlier unused ones stop working)."""
    db.session.execute(sa.update(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
                       .values(used_at=utcnow()))
    secret, token_hash = new_secret()
    db.session.add(PasswordReset(user_id=user.id, token_hash=token_hash,
                                 expires_at=utcnow() + timedelta(hours=RESET_LINK_HOURS)))
    return secret


def open_reset(secret: str | None) -> PasswordReset | None:
    if not secret or len(secret) > 64:
        return None
    reset = db.session.execute(
        sa.select(PasswordReset).where(PasswordReset.token_hash == hash_secret(secret))).scalar_one_or_none()
    return reset if reset is not None and reset.is_open else None


def use_reset(reset: PasswordReset, new: str) -> User:
    """Set the password through the link, once; every session of the person ends."""
    if problem := password_problem(new):
        raise AccountError(problem)
    used = db.session.execute(sa.update(PasswordReset).where(PasswordReset.id == reset.id,
                                                             PasswordReset.used_at.is_(None))
                              .values(used_at=utcnow())).rowcount
    if not used:
        raise AccountError("This link has been used already.")
    user = reset.user
    user.set_password(new)
    sessions.end_all(user.id)
    return user
