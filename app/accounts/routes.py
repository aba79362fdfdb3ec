"""Views for account pages; every account id is checked against the user's memberships."""
from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from app import realtime
from app.accounts import bp
from app.accounts.forms import AddMemberForm, BudgetForm, TokenForm
from app.extensions import db
from app.identity.accounts import AccountError, add_member_by_email, remove_member
from app.identity.scoping import current_account, member_chat, membership_or_404, switch_account
from app.models import ApiToken, Membership
from app.platform.ids import parse_id
from app.platform.redis_client import get_redis


def _owner_membership_or_403(account_id: int) -> Membership:
    membership = membership_or_404(account_id)
    if not membership.is_owner:
        abort(403)
    return membership


@bp.get("/account")
@login_required
def current():
    return redirect(url_for("accounts.show", account_id=current_account().id))


@bp.get("/accounts/<id:account_id>")
@login_required
def show(account_id: int):
    membership = membership_or_404(account_id)
    account = membership.account
    budget = BudgetForm(obj=account)
    return render_template(
        "accounts/show.html", account=account, membership=membership,
        add_form=AddMemberForm(), budget_form=budget,
    )


@bp.post("/accounts/<id:account_id>/members")
@login_required
def add_member(account_id: int):
    account = _owner_membership_or_403(account_id).account
    form = AddMemberForm()
    if form.validate_on_submit():
        try:
            member = add_member_by_email(account, form.email.data, form.role.data)
        except AccountError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"{member.user.name} is now a {member.role} of {account.name}.", "success")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return redirect(url_for("accounts.show", account_id=account.id))


@bp.post("/accounts/<id:account_id>/members/<id:user_id>/remove")
@login_required
def remove(account_id: int, user_id: int):
    account = _owner_membership_or_403(account_id).account
    try:
        remove_member(account, user_id)
    except AccountError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        realtime.membership_ended(user_id, account.id)
        flash("Member removed.", "success")
    return redirect(url_for("accounts.show", account_id=account.id))


@bp.post("/accounts/<id:account_id>/budget")
@login_required
def budget(account_id: int):
    account = _owner_membership_or_403(account_id).account
    form = BudgetForm()
    if form.validate_on_submit():
        account.monthly_limit_usd = form.monthly_limit_usd.data
        account.member_monthly_limit_usd = form.member_monthly_limit_usd.data
        db.session.commit()
        flash("Budget saved.", "success")
    else:
        flash("Budgets must be amounts of zero or more.", "error")
    return redirect(url_for("accounts.show", account_id=account.id))


@bp.post("/accounts/<id:account_id>/switch")
@login_required
def switch(account_id: int):
    """Work in another account; with ``chat_id`` (a chat of that account), open that chat."""
    account = switch_account(account_id)
    flash(f"Now working in {account.name}.", "info")
    chat_id = parse_id(request.form.get("chat_id"))
    chat = member_chat(chat_id, current_user) if chat_id is not None else None
    if chat is not None and chat.account_id == account.id:
        return redirect(url_for("chats.show", chat_id=chat.id))
    return redirect(url_for("chats.index"))


def _my_tokens() -> list[ApiToken]:
    return list(
        db.session.execute(
            sa.select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())
        ).scalars()
    )


NEW_TOKEN_KEY = "new_api_token"
NEW_TOKEN_SECONDS = 300


def _hand_over(plain: str) -> None:
    """Keep a token just created for the page after the redirect: in Redis, for a few minutes,
    under a random name that the session carries (a signed cookie is readable, so the token
    itself never goes in it)."""
    handle = secrets.token_urlsafe(16)
    get_redis().set(f"confab:new-token:{handle}", plain, ex=NEW_TOKEN_SECONDS)
    session[NEW_TOKEN_KEY] = handle


def _take_handed_over() -> str | None:
    """The token handed over to this session, once; None when there is none (or it expired)."""
    handle = session.pop(NEW_TOKEN_KEY, None)
    if not isinstance(handle, str):
        return None
    key = f"confab:new-token:{handle}"
    pipe = get_redis().pipeline()
    pipe.get(key)
    pipe.delete(key)
    plain, _ = pipe.execute()
    return plain.decode() if plain else None


@bp.get("/account/tokens")
@login_required
def tokens():
    """The token list; a token just created is shown once (taken out of the session), so a
    reload neither shows it again nor mints another."""
    new_token = _take_handed_over()
    return render_template("accounts/tokens.html", tokens=_my_tokens(), form=TokenForm(), new_token=new_token)


@bp.post("/account/tokens")
@login_required
def create_token():
    form = TokenForm()
    if form.validate_on_submit():
        _, plain = ApiToken.issue(current_user, form.name.data.strip())
        db.session.commit()
        _hand_over(plain)
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return redirect(url_for("accounts.tokens"))


@bp.post("/account/tokens/<id:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    token = db.session.execute(
        sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == current_user.id)
    ).scalar_one_or_none()
    if token is None:
        abort(404)
    db.session.delete(token)
    db.session.commit()
    realtime.token_revoked(token_id)
    flash("Token revoked.", "success")
    return redirect(url_for("accounts.tokens"))
