"""Joining an account by invitation, and only so (SPEC §3, issue 32).

An owner invites an email address (its person sees the invitation in the app, or signs up
through its link) or makes a link for anyone who holds it (expiring, used at most so many
times, revocable). Nobody becomes a member until they accept; the answer to an owner never
says whether an email belongs to a Confab user. Links carry a secret whose hash alone is
stored. The callers commit and announce.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.identity.accounts import AccountError
from app.models import Account, Invitation, Membership, User, normalise_email
from app.models.accounts import ROLES
from app.models.base import utcnow
from app.models.invitations import hash_secret, new_secret

EMAIL_INVITATION_DAYS = 14
LINK_DAYS = (1, 7, 30)
MAX_LINK_USES = 100


def _new(account: Account, inviter: User, role: str, *, email: str | None, max_uses: int,
         days: int) -> tuple[Invitation, str]:
    if role not in ROLES:
        raise AccountError("Choose a role: member or owner.")
    secret, token_hash = new_secret()
    invitation = Invitation(account=account, inviter=inviter, email=email, role=role, token_hash=token_hash,
                            max_uses=max_uses, uses=0, expires_at=utcnow() + timedelta(days=days))
    db.session.add(invitation)
    db.session.flush()
    return invitation, secret


def invite_email(account: Account, inviter: User, email: str, role: str) -> tuple[Invitation, str]:
    """An invitation for ``email`` (replacing an open one of the account's for it), and its
    link's secret. Refused only for someone already a member, whom the owner can see anyway."""
    email = normalise_email(email)
    if any(m.user.email == email for m in account.memberships):
        raise AccountError(f"{email} is already a member of {account.name}.")
    db.session.execute(sa.update(Invitation).where(
        Invitation.account_id == account.id, Invitation.email == email, Invitation.revoked_at.is_(None),
        Invitation.declined_at.is_(None), Invitation.uses < Invitation.max_uses).values(revoked_at=utcnow()))
    return _new(account, inviter, role, email=email, max_uses=1, days=EMAIL_INVITATION_DAYS)


def invite_link(account: Account, inviter: User, role: str, max_uses: int, days: int) -> tuple[Invitation, str]:
    """A link anyone holding it may use, ``max_uses`` times within ``days`` days."""
    if not 1 <= max_uses <= MAX_LINK_USES:
        raise AccountError(f"A link can be used 1 to {MAX_LINK_USES} times.")
    if days not in LINK_DAYS:
        raise AccountError("Choose how long the link works: a day, a week or a month.")
    return _new(account, inviter, role, email=None, max_uses=max_uses, days=days)


def by_secret(secret: str | None) -> Invitation | None:
    """The open invitation of a link's secret, or None (unknown, expired, used up or revoked)."""
    if not secret or len(secret) > 64:
        return None
    invitation = db.session.execute(
        sa.select(Invitation).where(Invitation.token_hash == hash_secret(secret))).scalar_one_or_none()
    return invitation if invitation is not None and invitation.is_open else None


def pending_for(user: User) -> list[Invitation]:
    """The open invitations addressed to ``user``'s email, of accounts they are not in."""
    member_of = sa.select(Membership.account_id).where(Membership.user_id == user.id)
    found = db.session.execute(
        sa.select(Invitation).where(Invitation.email == user.email, Invitation.account_id.not_in(member_of))
        .order_by(Invitation.id.desc())).scalars()
    return [invitation for invitation in found if invitation.is_open]


def addressed_to(user: User, invitation_id: int) -> Invitation | None:
    """One of ``user``'s pending invitations, by id (None for anyone else's)."""
    return next((i for i in pending_for(user) if i.id == invitation_id), None)


def accept(invitation: Invitation, user: User) -> Membership:
    """Make ``user`` a member with the invitation's role; the account becomes their current one."""
    if invitation.email is not None and invitation.email != user.email:
        raise AccountError(f"This invitation is for {invitation.email}. Sign in with that address to accept it.")
    account = invitation.account
    membership = account.membership_of(user)
    if membership is None:
        counted = db.session.execute(sa.update(Invitation).where(
            Invitation.id == invitation.id, Invitation.uses < Invitation.max_uses, Invitation.revoked_at.is_(None))
            .values(uses=Invitation.uses + 1)).rowcount
        if not counted:
            raise AccountError("This invitation has been used up or withdrawn. Ask for a new one.")
        membership = Membership(account=account, user=user, role=invitation.role)
        db.session.add(membership)
    user.last_account_id = account.id
    db.session.flush()
    return membership


def decline(invitation: Invitation) -> None:
    invitation.declined_at = utcnow()


def revoke(account: Account, invitation_id: int) -> Invitation:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.account_id != account.id:
        raise AccountError("That invitation is not one of this account's.")
    invitation.revoked_at = invitation.revoked_at or utcnow()
    return invitation


def open_of(account: Account) -> list[Invitation]:
    """The account's invitations that can still be used, newest first."""
    found = db.session.execute(
        sa.select(Invitation).where(Invitation.account_id == account.id, Invitation.revoked_at.is_(None),
                                    Invitation.declined_at.is_(None)).order_by(Invitation.id.desc())).scalars()
    return [invitation for invitation in found if invitation.is_open]


def invited_user(invitation: Invitation) -> User | None:
    """The Confab user an email invitation is for, if they have signed up (for telling them live)."""
    if invitation.email is None:
        return None
    return db.session.execute(sa.select(User).where(User.email == invitation.email)).scalar_one_or_none()
