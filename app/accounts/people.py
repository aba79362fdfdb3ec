"""Views for an account's people, from its owners' side: invitations by email and by link,
roles, removing members; and any member leaving. Nobody joins without accepting
(``joining.py``); the last owner can be neither removed nor demoted, nor leave."""
from __future__ import annotations

from collections.abc import Callable

from flask import abort, current_app, flash, redirect, url_for
from flask_login import current_user, login_required

from app import realtime
from app.accounts import bp
from app.accounts.forms import InviteForm, InviteLinkForm, RoleForm
from app.extensions import db, limiter
from app.identity import accounts, invitations, mailing, passwords
from app.identity.scoping import membership_or_404, owner_membership_or_403
from app.models import Account
from app.models.accounts import with_article
from app.web.handover import hand_over

INVITE_LIMIT = "30 per hour"  # per owner: the form is no way to test which emails are registered


def _invitations_key() -> str:
    return f"invite:{current_user.get_id()}"


def _back(account: Account):
    return redirect(url_for("accounts.show", account_id=account.id))


def _flash_errors(form) -> None:
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")


def _link(secret: str) -> str:
    return url_for("accounts.join", secret=secret, _external=True)


@bp.post("/accounts/<id:account_id>/invitations")
@login_required
@limiter.limit(INVITE_LIMIT, key_func=_invitations_key,
               error_message="Too many invitations for now. Wait a while and try again.")
def invite(account_id: int):
    """Invite an email address. The answer is the same whether or not it belongs to a Confab
    user: someone who has signed up sees the invitation in the app (at once, if Confab is
    open), anyone else signs up through the link."""
    account = owner_membership_or_403(account_id).account
    form = InviteForm()
    if not form.validate_on_submit():
        _flash_errors(form)
        return _back(account)
    try:
        invitation, secret = invitations.invite_email(account, current_user, form.email.data, form.role.data)
    except accounts.AccountError as exc:
        flash(str(exc), "error")
        return _back(account)
    invited = invitations.invited_user(invitation)
    db.session.commit()
    if invited is not None:
        realtime.invitation_received(invited.id, {"invitation_id": invitation.id, "account": account.name,
                                                  "inviter": current_user.name, "role": invitation.role})
    current_app.logger.info("user %s invited someone to account %s", current_user.id, account.id)
    link = _link(secret)
    hand_over("invitation link", link)
    invited = f"{invitation.email} is invited as {with_article(invitation.role)}"
    if mailing.mail_invitation(invitation.email, account.name, current_user.name, invitation.role, link):
        flash(f"{invited}: the link is on its way to them by email, and if they use Confab they see the "
              "invitation there too.", "success")
    else:
        flash(f"{invited}. If they use Confab they see the invitation there; or send them the link below.", "success")
    return _back(account)


@bp.post("/accounts/<id:account_id>/invitation-links")
@login_required
@limiter.limit(INVITE_LIMIT, key_func=_invitations_key,
               error_message="Too many invitations for now. Wait a while and try again.")
def invite_by_link(account_id: int):
    account = owner_membership_or_403(account_id).account
    form = InviteLinkForm()
    if not form.validate_on_submit():
        _flash_errors(form)
        return _back(account)
    try:
        invitation, secret = invitations.invite_link(account, current_user, form.role.data, form.max_uses.data,
                                                     form.days.data)
    except accounts.AccountError as exc:
        flash(str(exc), "error")
        return _back(account)
    db.session.commit()
    hand_over("invitation link", _link(secret))
    flash("Invitation link made. Copy it now: it is shown only once.", "success")
    return _back(account)


def _change(account: Account, change: Callable[[], str], then: Callable[[], None] | None = None):
    """Run an owner's ``change`` (which says what it did), commit it and run ``then``; or say why not."""
    try:
        done = change()
    except accounts.AccountError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        if then is not None:
            then()
        flash(done, "success")
    return _back(account)


@bp.post("/accounts/<id:account_id>/invitations/<id:invitation_id>/revoke")
@login_required
def revoke_invitation(account_id: int, invitation_id: int):
    account = owner_membership_or_403(account_id).account

    def withdraw() -> str:
        invitations.revoke(account, invitation_id)
        return "Invitation withdrawn: its link no longer works."
    return _change(account, withdraw)


@bp.post("/accounts/<id:account_id>/members/<id:user_id>/role")
@login_required
def change_role(account_id: int, user_id: int):
    account = owner_membership_or_403(account_id).account
    form = RoleForm()
    if not form.validate_on_submit():
        _flash_errors(form)
        return _back(account)

    def to_role() -> str:
        membership = accounts.change_role(account, user_id, form.role.data)
        return f"{membership.user.name} is now {'an owner' if membership.is_owner else 'a member'}."
    return _change(account, to_role)


@bp.post("/accounts/<id:account_id>/members/<id:user_id>/remove")
@login_required
def remove(account_id: int, user_id: int):
    account = owner_membership_or_403(account_id).account

    def remove_them() -> str:
        accounts.remove_member(account, user_id)
        return "Member removed."
    return _change(account, remove_them, then=lambda: realtime.membership_ended(user_id, account.id))


@bp.post("/accounts/<id:account_id>/leave")
@login_required
def leave(account_id: int):
    account = membership_or_404(account_id).account
    try:
        accounts.leave(account, current_user)
    except accounts.AccountError as exc:
        flash(str(exc), "error")
        return _back(account)
    db.session.commit()
    realtime.membership_ended(current_user.id, account.id)
    flash(f"You left {account.name}.", "success")
    return redirect(url_for("chats.index"))


@bp.post("/accounts/<id:account_id>/members/<id:user_id>/reset-link")
@login_required
def reset_link(account_id: int, user_id: int):
    """A one-time link that sets a member's password, shown once to the owner who passes it on."""
    account = owner_membership_or_403(account_id).account
    membership = next((m for m in account.memberships if m.user_id == user_id), None)
    if membership is None:
        abort(404)
    if not passwords.may_reset(current_user, membership.user):
        flash(f"{membership.user.name} is also in accounts you do not own, so only an administrator can reset "
              "their password (flask users reset-link).", "error")
        return _back(account)
    secret = passwords.reset_link_secret(membership.user)
    db.session.commit()
    link = url_for("auth.reset_password", reset_secret=secret, _external=True)
    hand_over("reset link", link)
    if mailing.mail_reset_link(membership.user.email, current_user.name, link):
        flash(f"A password-reset link for {membership.user.name}, valid for an hour and once, is on its way to "
              f"{membership.user.email}; it is below too.", "success")
    else:
        flash(f"A password-reset link for {membership.user.name}, valid for an hour and once: give it to them.",
              "success")
    return _back(account)
