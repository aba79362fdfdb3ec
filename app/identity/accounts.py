"""Sign-up, and the workflows of membership once in an account: roles, removing, leaving
(joining is by invitation: ``invitations.py``)."""
from __future__ import annotations

import secrets
from functools import lru_cache

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import ROLE_MEMBER, ROLE_OWNER, Account, Membership, User, normalise_email
from app.models.accounts import ROLES
from app.platform.validators import normalised

MIN_PASSWORD_LENGTH = 8


class AccountError(ValueError):
    """A membership or sign-up request that cannot be carried out; the text is for the user."""


def find_user(email: str) -> User | None:
    return db.session.execute(
        sa.select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()


def authenticate(email: str, password: str) -> User | None:
    """The user with this email and password, or None. The password is hashed and compared
    whether or not the email is known, so the answer takes as long either way and does not
    tell an attacker which emails have accounts."""
    user = find_user(email)
    stored = user.password_hash if user is not None else _unknown_user_hash()
    matches = check_password_hash(stored, password)
    return user if user is not None and matches else None


@lru_cache(maxsize=1)
def _unknown_user_hash() -> str:
    """A hash made the way user passwords are (same method and cost), matching no password."""
    return generate_password_hash(secrets.token_urlsafe(32))


def password_problem(password: str) -> str | None:
    """Why ``password`` is too weak, or None."""
    if not password or not password.strip():
        return "Enter a password."
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(set(password)) < 4:
        return "Use a less predictable password."
    return None


def create_user(email: str, name: str, password: str, account_name: str | None = None, *,
                admin: bool = False) -> User:
    """A new user with a personal account they own (or a named existing/new account). The
    first user of an instance is its administrator, as is one created with ``admin``."""
    if find_user(email) is not None:
        raise AccountError("That email cannot be used to sign up. If it is yours, sign in instead.")
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    first = db.session.execute(sa.select(User.id).limit(1)).first() is None
    user = User(email=email, name=normalised(name), is_admin=admin or first)
    user.set_password(password)
    db.session.add(user)
    account = None
    if account_name:
        account = db.session.execute(
            sa.select(Account).where(Account.name == account_name)
        ).scalars().first()
    if account is None:
        account = Account(name=account_name or f"{user.name}'s account")
        db.session.add(account)
        account.add_member(user, ROLE_OWNER)
    else:
        account.add_member(user, ROLE_MEMBER)
    db.session.flush()
    return user


def add_member_by_email(account: Account, email: str, role: str = ROLE_MEMBER) -> Membership:
    """The operator's direct way in (``flask accounts add-member``); in the app, people join
    only by accepting an invitation."""
    user = find_user(email)
    if user is None:
        raise AccountError("No Confab user has that email. Ask them to sign up first.")
    return account.add_member(user, role)


def _membership(account: Account, user_id: int) -> Membership:
    membership = next((m for m in account.memberships if m.user_id == user_id), None)
    if membership is None:
        raise AccountError("That person is not a member of this account.")
    return membership


def last_owner_reason(account: Account, membership: Membership) -> str | None:
    """Why ``membership`` cannot stop being an owner (leave, be removed or demoted), or None."""
    if membership.is_owner and len(account.owners()) == 1:
        return f"{membership.user.name} is the only owner. Make someone else an owner first."
    return None


def remove_member(account: Account, user_id: int) -> None:
    membership = _membership(account, user_id)
    if reason := last_owner_reason(account, membership):
        raise AccountError(reason)
    account.memberships.remove(membership)


def change_role(account: Account, user_id: int, role: str) -> Membership:
    if role not in ROLES:
        raise AccountError("Choose a role: member or owner.")
    membership = _membership(account, user_id)
    if role != ROLE_OWNER and (reason := last_owner_reason(account, membership)):
        raise AccountError(reason)
    membership.role = role
    return membership


def leave(account: Account, user: User) -> None:
    """``user`` leaves ``account``: not its last owner, and not their only account."""
    membership = _membership(account, user.id)
    if reason := last_owner_reason(account, membership):
        raise AccountError(reason.replace(f"{user.name} is", "You are"))
    if len(user.memberships) == 1:
        raise AccountError("This is your only account, so you cannot leave it.")
    account.memberships.remove(membership)
