"""Views for account pages (the page, budgets, switching, API tokens); every account id is
checked against the user's memberships. Members and invitations are ``people.py``'s; the
invited person's side, ``joining.py``'s."""
from __future__ import annotations

import sqlalchemy as sa
from wtforms import SelectChoice
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import realtime
from app.accounts import bp
from app.accounts.forms import BudgetForm, InviteForm, InviteLinkForm, ModelsForm, RoleForm, TokenForm
from app.catalog import offering, registry
from app.conversations.chats import default_model_id
from app.extensions import db
from app.identity import invitations, passwords
from app.identity.accounts import last_owner_reason
from app.identity.scoping import (current_account, member_chat, membership_or_404, owner_membership_or_403,
                                  switch_account)
from app.models import ApiToken
from app.platform.ids import parse_id
from app.tools import groups as tool_groups
from app.tools.mcp import switches as tool_switches
from app.web.errors import error_response, wants_json
from app.web.handover import hand_over, take_handed_over


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
    owner = membership.is_owner
    enabled = registry.offered_models("chat")
    servers, servers_problem = tool_groups.for_account(account)
    return render_template(
        "accounts/show.html", account=account, membership=membership, budget_form=budget,
        enabled_models=enabled, offered=offering.offered_in(account), models_form=_models_form(
            enabled, offer="all" if account.offered_models is None else "chosen",
            model_ids=account.offered_models or [], default_model_id=account.default_model_id or ""),
        default_model=next((m for m in enabled if m.id == default_model_id(account)), None),
        invite_form=InviteForm(), link_form=InviteLinkForm(), role_form=RoleForm(),
        invitations=invitations.open_of(account) if owner else [],
        new_link=take_handed_over("invitation link") if owner else None,
        reset_link=take_handed_over("reset link") if owner else None,
        resettable={m.user_id for m in account.memberships if owner and passwords.may_reset(current_user, m.user)},
        last_owner_reasons={m.user_id: last_owner_reason(account, m) for m in account.memberships},
        mcp_servers=servers, mcp_problem=servers_problem,
    )


@bp.post("/accounts/<id:account_id>/budget")
@login_required
def budget(account_id: int):
    account = owner_membership_or_403(account_id).account
    form = BudgetForm()
    if form.validate_on_submit():
        account.monthly_limit_usd = form.monthly_limit_usd.data
        account.member_monthly_limit_usd = form.member_monthly_limit_usd.data
        db.session.commit()
        flash("Budget saved.", "success")
    else:
        flash("Budgets must be amounts of zero or more.", "error")
    return redirect(url_for("accounts.show", account_id=account.id))


def _models_form(enabled: list, **data) -> ModelsForm:
    """The account's models form over the ``enabled`` models (``data``: what it shows; none: the POSTed form)."""
    form = ModelsForm(**data)
    form.model_ids.choices = [SelectChoice(m.id, m.name) for m in enabled]
    form.default_model_id.choices = [SelectChoice("", "This Confab's default"),
                                     *(SelectChoice(m.id, m.name, optgroup=m.provider.label) for m in enabled)]
    return form


@bp.post("/accounts/<id:account_id>/models")
@login_required
def models(account_id: int):
    """Owners choose which enabled chat models the account offers, and its default."""
    account = owner_membership_or_403(account_id).account
    form = _models_form(registry.offered_models("chat"))
    try:
        if not form.validate_on_submit():
            raise offering.OfferingError("Those models are not all switched on any more. Reload the page.")
        offering.choose(account, (form.model_ids.data or []) if form.offer.data == "chosen" else None,
                        form.default_model_id.data or None)
    except offering.OfferingError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("Models saved.", "success")
    return redirect(url_for("accounts.show", account_id=account.id, _anchor="models"))


@bp.post("/accounts/<id:account_id>/mcp-servers")
@login_required
def mcp_servers(account_id: int):
    """Owners switch an MCP server on or off for the account (``server``, ``on``: 1 or 0)."""
    on = request.form.get("on") == "1"
    try:
        server = tool_switches.set_for_account(current_user, account_id, request.form.get("server", ""), on)
    except tool_switches.SwitchError as exc:
        db.session.rollback()
        if wants_json():
            return error_response(422, str(exc), "invalid")
        flash(str(exc), "error")
    else:
        if wants_json():
            return {"server": server.key, "on": on}
        flash(f"{server.name} is {'on' if on else 'off'} for this account.", "success")
    return redirect(url_for("accounts.show", account_id=account_id, _anchor="tools"))


@bp.post("/accounts/<id:account_id>/switch")
@login_required
def switch(account_id: int):
    """Work in another account; with ``chat_id`` (a chat of that account), open that chat."""
    account = switch_account(account_id)
    db.session.commit()
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


@bp.get("/account/tokens")
@login_required
def tokens():
    """The token list; a token just created is shown once (taken out of the session), so a
    reload neither shows it again nor mints another."""
    new_token = take_handed_over("api token")
    return render_template("accounts/tokens.html", tokens=_my_tokens(), form=TokenForm(), new_token=new_token)


@bp.post("/account/tokens")
@login_required
def create_token():
    form = TokenForm()
    if form.validate_on_submit():
        _, plain = ApiToken.issue(current_user, form.name.data.strip())
        db.session.commit()
        hand_over("api token", plain)
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
