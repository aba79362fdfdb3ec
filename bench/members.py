"""Signed-in members for the benchmarks, made fast. Run under a stack's environment
(``python -m bench.members ACCOUNT_ID COUNT PREFIX``), it adds COUNT people to the account,
each with one live browser session, and prints their session cookies as one JSON list.

Signing in through ``/login`` would cost the web process a password hash per person (a
minute of its CPU for a thousand); here every bench person shares one hash, and each
session is made as a sign-in makes it (``app/identity/sessions.py``), its cookie signed by
the app's own session serializer.
"""
from __future__ import annotations

import json
import secrets
import sys

from app import create_app
from app.extensions import db
from app.models import Account, User, UserSession
from app.models.accounts import ROLE_MEMBER
from app.models.sessions import hash_session_id

PASSWORD = "correct horse battery"


def make_members(account_id: int, count: int, prefix: str) -> list[str]:
    app = create_app(role="cli")
    with app.app_context():
        account = db.session.get(Account, account_id)
        template = User(email="template@example.com", name="Template")
        template.set_password(PASSWORD)
        serializer = app.session_interface.get_signing_serializer(app)
        cookies = []
        for index in range(count):
            user = User(email=f"{prefix}{index}@bench.example.com", name=f"{prefix.title()} {index}",
                        password_hash=template.password_hash, last_account_id=account.id)
            db.session.add(user)
            account.add_member(user, ROLE_MEMBER)
            db.session.flush()
            session_id = secrets.token_urlsafe(32)
            db.session.add(UserSession(id_hash=hash_session_id(session_id), user_id=user.id))
            cookies.append(serializer.dumps({"_user_id": str(user.id), "_fresh": True, "sid": session_id,
                                             "account_id": account.id}))
        db.session.commit()
    return cookies


if __name__ == "__main__":
    print(json.dumps(make_members(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])))
