"""Signing in as Flask-Login sees it: loading the signed-in user from the session cookie,
where to send someone who is not signed in, and the account every page works in."""
from __future__ import annotations

from flask import Flask
from flask_login import current_user

from app.extensions import login_manager
from app.identity import invitations, sessions
from app.identity.scoping import current_membership, memberships_of
from app.models import User
from app.platform.ids import parse_id


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The signed-in user, if the cookie's session has not been ended (``sessions.py``)."""
    parsed = parse_id(user_id)
    return sessions.signed_in_user(parsed, sessions.current_id()) if parsed is not None else None


def register(app: Flask) -> None:
    """Where Flask-Login sends a visitor, and what every signed-in page's template knows."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"

    @app.context_processor
    def inject_account() -> dict:
        if not current_user.is_authenticated:
            return {}
        memberships = memberships_of(current_user)
        membership = current_membership(memberships)
        return {
            "current_membership": membership,
            "current_account": membership.account if membership else None,
            "my_memberships": memberships,
            "pending_invitations": len(invitations.pending_for(current_user)),
        }
