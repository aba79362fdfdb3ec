"""The emails Confab sends (SPEC §3, §8, issue 32): an invitation, and a password-reset link.
They are mailed only when the settings name an SMTP server, by a job queued after the commit
(``app/platform/mail.py``); without one, the owner passes on the link the page shows them.
Each answers whether a mail is on its way."""
from __future__ import annotations

from flask import current_app

from app.identity.invitations import EMAIL_INVITATION_DAYS
from app.identity.passwords import RESET_LINK_HOURS
from app.models.accounts import with_article
from app.platform import mail
from app.platform.queue import enqueue_mail


def mail_invitation(to: str, account_name: str, inviter_name: str, role: str, link: str) -> bool:
    if not mail.configured(current_app.config):
        return False
    enqueue_mail(to, f"{inviter_name} invited you to {account_name} on Confab", (
        f"{inviter_name} invited you to join {account_name} on Confab, as {with_article(role)}.\n\n"
        f"Open this link to sign in (or sign up) and accept; it works once, for {EMAIL_INVITATION_DAYS} days:\n\n"
        f"{link}\n\n"
        "If you did not expect this, ignore this email: nobody joins an account without accepting.\n"))
    return True


def mail_reset_link(to: str, issuer_name: str, link: str) -> bool:
    if not mail.configured(current_app.config):
        return False
    hours = "hour" if RESET_LINK_HOURS == 1 else f"{RESET_LINK_HOURS} hours"
    enqueue_mail(to, "Set a new password for Confab", (
        f"{issuer_name} made you a link to set a new Confab password. It works once, for the next {hours}:\n\n"
        f"{link}\n\n"
        "Setting a password with it signs you out everywhere else. If you did not ask for this, tell the owner "
        "of your account.\n"))
    return True
