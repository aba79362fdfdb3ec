"""Who administers this Confab (providers, models): the first user, and whoever an
administrator (or ``flask users create --admin``) makes one. There is always one left."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.identity.accounts import find_user
from app.models import User


class AdminError(ValueError):
    """A change to the administrators that cannot be made; the text says why."""


def administrators() -> list[User]:
    return list(db.session.execute(sa.select(User).where(User.is_admin.is_(True)).order_by(User.name)).scalars())


def make_admin(email: str) -> User:
    user = find_user(email)
    if user is None:
        raise AdminError("No Confab user has that email. Ask them to sign up first.")
    if user.is_admin:
        raise AdminError(f"{user.name} is already an administrator.")
    user.is_admin = True
    return user


def remove_admin(user: User) -> None:
    if not user.is_admin:
        raise AdminError(f"{user.name} is not an administrator.")
    if len(administrators()) <= 1:
        raise AdminError("Confab needs at least one administrator: make someone else one first.")
    user.is_admin = False
