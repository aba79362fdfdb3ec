"""Putting people into accounts for tests of other features, as the operator's CLI does
(``flask accounts add-member``); joining by invitation has its own tests."""
from __future__ import annotations

from app.extensions import db
from app.identity.accounts import add_member_by_email
from app.models import Account


def add_member(account_id: int, email: str, role: str = "member") -> None:
    add_member_by_email(db.session.get(Account, account_id), email, role)
    db.session.commit()
