"""A member with a chat of their own, made straight through the services (no HTTP)."""
from __future__ import annotations

from app.extensions import db
from app.identity.accounts import create_user
from app.models import Chat, User


def member_with_chat(email: str = "ann@example.com", name: str = "Ann Lee",
                     model_id: str = "demo-chat") -> tuple[User, Chat]:
    """A new user (with their own account) and an empty chat in that account."""
    user = create_user(email, name, "correct horse battery")
    db.session.flush()
    chat = Chat(account=user.memberships[0].account, creator=user, model_id=model_id)
    db.session.add(chat)
    db.session.flush()
    return user, chat
