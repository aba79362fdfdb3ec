"""Views for the invited person's side: the invitations waiting for them in the app, and an
invitation link (a page that offers to join: only a POST makes anyone a member)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required

from app.accounts import bp
from app.extensions import db
from app.identity import invitations
from app.identity.accounts import AccountError
from app.identity.scoping import SESSION_ACCOUNT_KEY
from app.models import Invitation


def _joined(invitation: Invitation):
    """Accept for the current user and open the account; or say why not."""
    try:
        membership = invitations.accept(invitation, current_user)
    except AccountError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("chats.index"))
    db.session.commit()
    session[SESSION_ACCOUNT_KEY] = membership.account_id
    flash(f"Welcome to {membership.account.name}.", "success")
    return redirect(url_for("chats.index"))


@bp.get("/invitations")
@login_required
def invitations_page():
    return render_template("accounts/invitations.html", pending=invitations.pending_for(current_user))


def _addressed_or_404(invitation_id: int) -> Invitation:
    invitation = invitations.addressed_to(current_user, invitation_id)
    if invitation is None:
        abort(404)
    return invitation


@bp.post("/invitations/<id:invitation_id>/accept")
@login_required
def accept(invitation_id: int):
    return _joined(_addressed_or_404(invitation_id))


@bp.post("/invitations/<id:invitation_id>/decline")
@login_required
def decline(invitation_id: int):
    invitation = _addressed_or_404(invitation_id)
    invitations.decline(invitation)
    db.session.commit()
    flash(f"Invitation to {invitation.account.name} declined.", "info")
    return redirect(url_for("accounts.invitations_page"))


@bp.get("/join/<secret>")
def join(secret: str):
    """What the link invites to, and how to accept: join (signed in), or sign up or sign in."""
    invitation = invitations.by_secret(secret)
    if invitation is None:
        return render_template("accounts/join.html", invitation=None, secret=secret), 404
    member = current_user.is_authenticated and invitation.account.membership_of(current_user) is not None
    return render_template("accounts/join.html", invitation=invitation, secret=secret, member=member)


@bp.post("/join/<secret>")
@login_required
def join_accept(secret: str):
    invitation = invitations.by_secret(secret)
    if invitation is None:
        abort(404)
    return _joined(invitation)
