"""Chat pages: the home pane and sidebar list, create, show, rename, model, instructions, delete."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from app import realtime
from app.catalog import offering, registry
from app.chats import bp
from app.chats.forms import InstructionsForm, ModelForm, NewChatForm, RenameForm
from app.conversations import chat_actions, posting, search, tree
from app.conversations import chats as chat_service
from app.conversations.actions import Refused
from app.costs import usage
from app.extensions import db
from app.identity.scoping import chat_or_404, current_account, switch_account
from app.models import Chat, LlmModel
from app.models.base import utcnow
from app.platform.ids import parse_id, parse_page
from app.platform.validators import normalised
from app.tools import groups as tool_groups
from app.tools.mcp import switches as tool_switches
from app.tools.registry import all_tools
from app.web.display import model_price
from app.web.errors import error_response, wants_json
from app.web.files import send_export

MESSAGE_HITS = 8  # messages a sidebar search shows beside the matching titles


def _model_choices(models: list[LlmModel] | None = None) -> list[SelectChoice]:
    """The models as a select's options, grouped by provider (with many, a select's own
    type-ahead finds one), each with its price per million tokens."""
    models = models if models is not None else registry.offered_models("chat")
    return [SelectChoice(m.id, f"{m.name} · {model_price(m)}", optgroup=m.provider.key)
            for m in sorted(models, key=lambda m: (m.provider.key, m.name))]


def _names_of(model_ids: set[str | None]) -> dict[str, str]:
    """The names of the models a page shows (not the whole catalog, which may hold thousands)."""
    ids = [i for i in model_ids if i]
    return dict(db.session.execute(sa.select(LlmModel.id, LlmModel.name).where(LlmModel.id.in_(ids))).all()) \
        if ids else {}


def _change(chat_id: int, message: str, **changes):
    """Make a settings change (``app/conversations/chat_actions.py``) and answer it: JSON to
    fetch callers, a redirect to forms."""
    try:
        chat = chat_actions.change_chat(current_user, chat_id, **changes)
    except Refused as exc:
        return _refused(chat_id, exc.message)
    if wants_json():
        return {"chat": {"id": chat.id, "title": chat.title, "display_title": chat.display_title,
                         "model_id": chat.model_id, "instructions": chat.instructions},
                "send_blocked": posting.send_blocked_reason(chat, current_user)}
    flash(message, "success")
    return redirect(url_for("chats.show", chat_id=chat.id))


def _refused(chat_id: int, message: str):
    """A settings change that was refused (the chat is the member's: 404 otherwise)."""
    chat_or_404(chat_id)
    if wants_json():
        return error_response(422, message, "invalid")
    flash(message, "error")
    return redirect(url_for("chats.show", chat_id=chat_id))


@bp.get("/")
def home():
    return redirect(url_for("chats.index"))


@bp.get("/chats")
@login_required
def index():
    """The home pane, where "New chat" leads: an empty composer (nothing is stored until the
    first message) above the account's chats. To fetch callers, a page of the sidebar's chat
    list (``q``, ``after``)."""
    account = current_account()
    if wants_json():
        after = request.args.get("after")
        after_id = parse_id(after) if after else None
        if after and after_id is None:
            abort(404)
        query = request.args.get("q", "")
        chats, next_after = chat_service.list_chats(account, current_user.id, search=query, after_id=after_id)
        found = {"chats": [realtime.chat_summary(c) for c in chats], "next_after": next_after}
        if query and not after:  # a search's first page: the messages that say it, too
            found["messages"] = search.search(account.id, current_user.id, query[:200], limit=MESSAGE_HITS)
        return found
    page = parse_page(request.args.get("page"))
    if page is None:
        abort(404)
    form = NewChatForm()
    account = current_account()
    models = offering.offered_in(account)
    form.model_id.choices = _model_choices(models)
    form.model_id.data = chat_service.default_model_id(account, models)
    return _home(form, page)


def _home(form: NewChatForm, page: int = 1, content: str = "", status: int = 200):
    """The home page with ``form`` (and the ``content`` typed, when a start was refused)."""
    account = current_account()
    query = (sa.select(Chat).where(Chat.account_id == account.id, chat_service.listed_to(current_user.id))
             .order_by(Chat.updated_at.desc(), Chat.id.desc()))
    pagination = db.paginate(query, page=page, per_page=current_app.config["CHATS_PER_PAGE"], error_out=False)
    costs = usage.chat_totals([chat.id for chat in pagination.items])
    budgets = usage.budgets(account, current_user, utcnow().date())
    return render_template("chats/index.html", pagination=pagination, form=form, account=account, costs=costs,
                           content=content, image_model=next(iter(registry.offered_models("image")), None),
                           model_names=_names_of({chat.model_id for chat in pagination.items}),
                           budget_warning=next((b.caution() for b in budgets if b.warning), None)), status


@bp.post("/chats")
@login_required
def create():
    """Start a chat with its first message (``content``, ``files``, ``mode``, on ``model_id``,
    ``private`` or not): the chat is stored with that message, or not at all."""
    form = NewChatForm()
    account = current_account()
    form.model_id.choices = _model_choices(offering.offered_in(account))
    if not form.model_id.data:
        form.model_id.data = chat_service.default_model_id(account)
    content = request.form.get("content", "")
    try:
        if not form.validate_on_submit():
            raise Refused(422, next(iter(form.model_id.errors), "Your session expired. Reload the page."))
        chat, question, reply = chat_actions.start_with_message(
            current_user, account, form.model_id.data, content, request.files.getlist("files"),
            private=form.private.data, image=request.form.get("mode") == "image")
    except Refused as exc:
        if wants_json():
            return error_response(exc.status, exc.message, "too_large" if exc.status == 413 else "invalid")
        flash(exc.message, "error")
        return _home(form, content=content, status=exc.status)
    url = url_for("chats.show", chat_id=chat.id)
    if wants_json():
        return {"chat_id": chat.id, "url": url, "user_message": question, "assistant_message": reply}, 202
    return redirect(url)


@bp.get("/chats/<id:chat_id>")
@login_required
def show(chat_id: int):
    chat = chat_or_404(chat_id)
    account = current_account()
    if chat.account_id != account.id:  # switching accounts is a POST: this page only offers it
        return render_template("chats/elsewhere.html", chat=chat, account=account)
    messages = tree.shown_path(chat)
    models = offering.offered_in(chat.account)
    model_form = ModelForm(model_id=chat.model_id)
    model_form.model_id.choices = _model_choices(models)
    if chat.model_id not in {choice.value for choice in model_form.model_id.choices}:
        model_form.model_id.choices.insert(0, SelectChoice(chat.model_id, f"{chat.model.name} (switched off)"))
    budgets = usage.budgets(chat.account, current_user, utcnow().date())
    return render_template(
        "chats/show.html", chat=chat, messages=messages, versions=tree.versions(chat.id, messages),
        totals=usage.chat_totals([chat.id]).get(chat.id) or usage.Totals(),
        budget_warning=next((b.caution() for b in budgets if b.warning), None),
        models=models, model_names={**_names_of({chat.model_id, *(m.model_id for m in messages)}),
                                    **{m.id: m.name for m in models}},
        rename_form=RenameForm(title=chat.title), model_form=model_form,
        instructions_form=InstructionsForm(instructions=chat.instructions),
        can_delete=chat_service.may_delete(chat, current_user),
        tool_names=[tool.name for tool in all_tools()],
        image_model=next(iter(registry.offered_models("image")), None),
        send_blocked=posting.send_blocked_reason(chat, current_user, budgets),
        tool_groups=tool_groups.for_chat(chat),
    )


@bp.post("/chats/<id:chat_id>/tools")
@login_required
def tools(chat_id: int):
    """Any member switches a tool group (``group``: ``builtin`` or an MCP server's key) on or off
    for the chat (``on``: 1 or 0); everyone in it hears ``chat.tools``."""
    on = request.form.get("on") == "1"
    try:
        chat = tool_switches.set_for_chat(current_user, chat_id, request.form.get("group", ""), on)
    except tool_switches.SwitchError as exc:
        db.session.rollback()
        return _refused(chat_id, str(exc))
    if wants_json():
        return {"chat_id": chat.id, "tools_off": chat.tools_off or []}
    flash("Tools saved; the next answer uses them.", "success")
    return redirect(url_for("chats.show", chat_id=chat.id))


@bp.post("/chats/<id:chat_id>/rename")
@login_required
def rename(chat_id: int):
    form = RenameForm()
    if not form.validate_on_submit():
        return _refused(chat_id, next(iter(form.title.errors), "Enter a title."))
    return _change(chat_id, "Chat renamed.", title=form.title.data)


@bp.post("/chats/<id:chat_id>/model")
@login_required
def change_model(chat_id: int):
    form = ModelForm()
    form.model_id.choices = _model_choices()
    if not form.validate_on_submit():
        return _refused(chat_id, "That model is not available. Choose another one.")
    return _change(chat_id, "Model changed; the next answer uses it.", model_id=form.model_id.data)


@bp.post("/chats/<id:chat_id>/instructions")
@login_required
def instructions(chat_id: int):
    form = InstructionsForm()
    if not form.validate_on_submit():
        return _refused(chat_id, "Instructions can be at most 20,000 characters.")
    saved = "Instructions saved." if normalised(form.instructions.data) else "Instructions cleared."
    return _change(chat_id, saved, instructions=form.instructions.data)


@bp.post("/chats/<id:chat_id>/delete")
@login_required
def delete(chat_id: int):
    try:
        title = chat_actions.delete_chat(current_user, chat_id)
    except Refused:
        abort(403)
    if wants_json():
        return {"deleted": chat_id}
    flash(f"Deleted “{title}” and all of its messages.", "success")
    return redirect(url_for("chats.index"))


@bp.post("/chats/<id:chat_id>/share")
@login_required
def share(chat_id: int):
    """Share a private chat with everyone in its account (its creator only)."""
    try:
        chat = chat_actions.share_chat(current_user, chat_id)
    except Refused as exc:
        if exc.status == 403:
            abort(403)
        flash(exc.message, "info")
        return redirect(url_for("chats.show", chat_id=chat_id))
    flash(f"Shared with everyone in {chat.account.name}.", "success")
    return redirect(url_for("chats.show", chat_id=chat_id))


@bp.post("/chats/<id:chat_id>/move")
@login_required
def move(chat_id: int):
    """Move a chat its creator made into another of their accounts (``account_id``)."""
    account_id = parse_id(request.form.get("account_id"))
    if account_id is None:
        abort(404)
    try:
        chat = chat_actions.move_chat(current_user, chat_id, account_id)
    except Refused as exc:
        if exc.status == 403:
            abort(403)
        flash(exc.message, "info")
        return redirect(url_for("chats.show", chat_id=chat_id))
    switch_account(chat.account_id)
    db.session.commit()
    flash(f"Moved to {chat.account.name}; you are working there now.", "success")
    return redirect(url_for("chats.show", chat_id=chat_id))


@bp.get("/chats/<id:chat_id>/export")
@login_required
def export(chat_id: int):
    """The chat as a Markdown or JSON download (``format=md|json``), from the chat's menu."""
    fmt = request.args.get("format", "md")
    if fmt not in ("md", "json"):
        abort(404)
    return send_export(chat_or_404(chat_id), fmt)
