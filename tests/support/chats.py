"""Chats for tests, made straight through the services (no HTTP): a member with a chat of their
own, and an empty chat for a signed-in test client."""
from __future__ import annotations

from app.conversations import chat_actions
from app.extensions import db
from app.identity.accounts import create_user
from app.identity.scoping import SESSION_ACCOUNT_KEY
from app.models import Account, Chat, User


def member_with_chat(email: str = "ann@example.com", name: str = "Ann Lee",
                     model_id: str = "demo-chat") -> tuple[User, Chat]:
    """A new user (with their own account) and an empty chat in that account."""
    user = create_user(email, name, "correct horse battery")
    db.session.flush()
    chat = Chat(account=user.memberships[0].account, creator=user, model_id=model_id)
    db.session.add(chat)
    db.session.flush()
    return user, chat


def empty_chat(client, title: str | None = None, model_id: str = "demo-chat", private: bool = False) -> Chat:
    """A chat with no message yet in the account ``client``'s person works in, started by the
    use case the API calls (the pages store a chat only with its first message)."""
    with client.session_transaction() as session:
        user = db.session.get(User, int(session["_user_id"]))
        account_id = session.get(SESSION_ACCOUNT_KEY) or user.last_account_id or user.memberships[0].account_id
    return chat_actions.start_chat(user, db.session.get(Account, account_id), model_id, title, private=private)
