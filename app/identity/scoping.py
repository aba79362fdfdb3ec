"""Who may see what: the one place queries are scoped by membership (SPEC §4, §10).

Pages, Socket.IO events, the API and the tools all find a chat, a message, an attachment or
an account through these functions, so a foreign or missing id is the same 404 everywhere.
Also which account the signed-in person is working in (kept in their session)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, session
from flask_login import current_user
from sqlalchemy.orm import contains_eager, joinedload

from app.extensions import db
from app.models import ROLE_OWNER, Account, Attachment, Chat, Membership, Message, User

SESSION_ACCOUNT_KEY = "account_id"
# The accounts a user is in, in the order the account switcher lists them (built once: a
# reconnecting crowd runs it a thousand times in a second).
_ACCOUNT_IDS = (sa.select(Membership.account_id).join(Membership.account)
                .where(Membership.user_id == sa.bindparam("user_id")).order_by(Account.name, Account.id))


def memberships_of(user: User) -> list[Membership]:
    return list(
        db.session.execute(
            sa.select(Membership)
            .where(Membership.user_id == user.id)
            .join(Membership.account)
            .options(contains_eager(Membership.account))
            .order_by(Account.name, Account.id)
        ).scalars()
    )


def membership_or_404(account_id: int, user: User | None = None) -> Membership:
    """The user's membership of ``account_id``; 404 for a foreign or missing account."""
    user = user or current_user
    membership = db.session.execute(
        sa.select(Membership).where(
            Membership.account_id == account_id, Membership.user_id == user.id
        )
    ).scalar_one_or_none()
    if membership is None:
        abort(404)
    return membership


def account_for(user: User, account_id: int | None) -> Account:
    """``account_id`` if ``user`` belongs to it (404 otherwise); without one, the account they
    own that was made first (their own, from signing up), else the first they joined."""
    if account_id is not None:
        return membership_or_404(account_id, user).account
    membership = db.session.execute(
        sa.select(Membership).where(Membership.user_id == user.id)
        .order_by((Membership.role == ROLE_OWNER).desc(), Membership.account_id).limit(1)
    ).scalar_one_or_none()
    if membership is None:
        abort(404)
    return membership.account


def current_membership(memberships: list[Membership] | None = None) -> Membership | None:
    """The membership of the account the signed-in user is working in (from ``memberships``
    when the caller has already loaded them)."""
    if not current_user.is_authenticated:
        return None
    if memberships is None:
        memberships = memberships_of(current_user)
    if not memberships:
        return None
    chosen_id = _chosen_account_id([m.account_id for m in memberships])
    return next(m for m in memberships if m.account_id == chosen_id)


def current_account_id() -> int | None:
    """The id of the account the signed-in user is working in, as :func:`current_membership`
    chooses it, from one light query (a socket's connect needs no more)."""
    if not current_user.is_authenticated:
        return None
    account_ids = list(db.session.execute(_ACCOUNT_IDS, {"user_id": current_user.id}).scalars())
    return _chosen_account_id(account_ids) if account_ids else None


def _chosen_account_id(account_ids: list[int]) -> int:
    """The session's account if the user is still in it, else the first (until they switch)."""
    wanted = session.get(SESSION_ACCOUNT_KEY, current_user.last_account_id)
    chosen = wanted if wanted in account_ids else account_ids[0]
    if wanted != chosen:
        session[SESSION_ACCOUNT_KEY] = chosen
    return chosen


def owner_membership_or_403(account_id: int) -> Membership:
    """The current user's membership of ``account_id``: 404 if none, 403 unless an owner's."""
    membership = membership_or_404(account_id)
    if not membership.is_owner:
        abort(403)
    return membership


def current_account() -> Account:
    membership = current_membership()
    if membership is None:
        abort(404)
    return membership.account


def switch_account(account_id: int) -> Account:
    """Make ``account_id``, one of the user's, the current account (a POST's doing, never a
    GET's), and the one their next sign-in starts in; the caller commits."""
    membership = membership_or_404(account_id)
    session[SESSION_ACCOUNT_KEY] = membership.account_id
    current_user.last_account_id = membership.account_id
    return membership.account


def visible_to(user_id: int | sa.BindParameter) -> sa.ColumnElement[bool]:
    """A chat its account's members see: shared, or private and theirs (SPEC §4, issue 32)."""
    return sa.or_(Chat.private.is_(False), Chat.creator_id == user_id)


def _chats_of(user_id: int | sa.BindParameter) -> sa.Select:
    member_accounts = sa.select(Membership.account_id).where(Membership.user_id == user_id)
    return sa.select(Chat).where(Chat.account_id.in_(member_accounts), visible_to(user_id))


def member_chats_query(user: User) -> sa.Select:
    """Chats ``user`` may see, in every account they belong to."""
    return _chats_of(user.id)


def _member_chat_query(*, for_update: bool) -> sa.Select:
    """The chat ``chat_id`` if it is in an account of ``user_id``. For posting (``for_update``),
    only the chat's row is locked, and its model and account come in the same query."""
    query = _chats_of(sa.bindparam("user_id")).where(Chat.id == sa.bindparam("chat_id"))
    if for_update:
        query = query.options(joinedload(Chat.model, innerjoin=True), joinedload(Chat.account, innerjoin=True))
        query = query.with_for_update(of=Chat)
    return query


# Built once (nearly every request of a chat runs one): building costs more CPU than running.
_MEMBER_CHAT = _member_chat_query(for_update=False)
_MEMBER_CHAT_FOR_UPDATE = _member_chat_query(for_update=True)


def chat_or_404(chat_id: int, user: User | None = None, *, for_update: bool = False) -> Chat:
    """A chat the user may see; 404 for a foreign or missing id."""
    chat = member_chat(chat_id, user or current_user, for_update=for_update)
    if chat is None:
        abort(404)
    return chat


def is_member(user_id: int, account_id: int) -> bool:
    return db.session.execute(
        sa.select(Membership.id).where(
            Membership.account_id == account_id, Membership.user_id == user_id
        )
    ).first() is not None


def member_chat(chat_id: int, user: User, *, for_update: bool = False) -> Chat | None:
    """A chat the user may see, or None for a foreign or missing id."""
    query = _MEMBER_CHAT_FOR_UPDATE if for_update else _MEMBER_CHAT
    return db.session.execute(query, {"user_id": user.id, "chat_id": chat_id}).scalar_one_or_none()


def message_or_404(user: User, message_id: int, chat_id: int | None = None) -> Message:
    """A message in a chat ``user`` may see (and in ``chat_id`` when given); 404 otherwise."""
    query = sa.select(Message).where(Message.id == message_id,
                                     Message.chat_id.in_(member_chats_query(user).with_only_columns(Chat.id)))
    if chat_id is not None:
        query = query.where(Message.chat_id == chat_id)
    message = db.session.execute(query).scalar_one_or_none()
    if message is None:
        abort(404)
    return message


def attachment_or_404(user: User, attachment_id: int) -> Attachment:
    """An attachment of a message in a chat ``user`` may see; 404 otherwise."""
    visible_chats = member_chats_query(user).with_only_columns(Chat.id)
    attachment = db.session.execute(
        sa.select(Attachment).join(Attachment.message)
        .where(Attachment.id == attachment_id, Message.chat_id.in_(visible_chats))
    ).scalar_one_or_none()
    if attachment is None:
        abort(404)
    return attachment
