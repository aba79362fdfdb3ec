"""Chat pages: the home pane and sidebar list, create, show, rename, model, instructions, delete."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from app import realtime
from app.chats import bp
from app.chats.forms import InstructionsForm, ModelForm, NewChatForm, RenameForm
from app.errors import error_response, wants_json
from app.extensions import db
from app.ids import parse_id, parse_page
from app.models import Chat, LlmModel
from app.models.base import utcnow
from app.services import chats as chat_service
from app.services import conversation, posting, registry, storage, usage
from app.services.export import download
from app.services.current import chat_or_404, current_account, work_in
from app.tools.registry import all_tools


def _model_choices(models: list[LlmModel] | None = None) -> list[SelectChoice]:
    return [SelectChoice(m.id, m.name) for m in (models if models is not None else registry.enabled_models("chat"))]


def _changed(chat: Chat, message: str):
    """Answer a settings change: JSON to fetch callers, a redirect to forms."""
    db.session.commit()
    realtime.chat_updated_event(chat)
    if wants_json():
        return {"chat": {"id": chat.id, "title": chat.title, "display_title": chat.display_title,
                         "model_id": chat.model_id, "instructions": chat.instructions},
                "send_blocked": posting.send_blocked_reason(chat, current_user)}
    flash(message, "success")
    return redirect(url_for("chats.show", chat_id=chat.id))


def _refused(chat: Chat, message: str):
    if wants_json():
        return error_response(422, message, "invalid")
    flash(message, "error")
    return redirect(url_for("chats.show", chat_id=chat.id))


@bp.get("/")
def home():
    return redirect(url_for("chats.index"))


@bp.get("/chats")
@login_required
def index():
    """The home pane; to fetch callers, a page of the sidebar's chat list (``q``, ``after``)."""
    account = current_account()
    if wants_json():
        after = request.args.get("after")
        after_id = parse_id(after) if after else None
        if after and after_id is None:
            abort(404)
        chats, next_after = chat_service.list_chats(account, search=request.args.get("q", ""), after_id=after_id)
        return {"chats": [realtime.chat_summary(c) for c in chats], "next_after": next_after}
    page = parse_page(request.args.get("page"))
    if page is None:
        abort(404)
    query = sa.select(Chat).where(Chat.account_id == account.id).order_by(Chat.updated_at.desc(), Chat.id.desc())
    pagination = db.paginate(query, page=page, per_page=current_app.config["CHATS_PER_PAGE"], error_out=False)
    form = NewChatForm()
    models = registry.enabled_models("chat")
    form.model_id.choices = _model_choices(models)
    form.model_id.data = chat_service.default_model_id(models)
    costs = usage.chat_totals([chat.id for chat in pagination.items])
    return render_template("chats/index.html", pagination=pagination, form=form, account=account, costs=costs)


@bp.post("/chats")
@login_required
def create():
    form = NewChatForm()
    form.model_id.choices = _model_choices()
    if not form.model_id.data:  # one click from the sidebar: the default model
        form.model_id.data = chat_service.default_model_id()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(url_for("chats.index"))
    try:
        chat = chat_service.create_chat(current_account(), current_user, form.model_id.data, form.title.data)
    except chat_service.ChatError as exc:
        flash(str(exc), "error")
        return redirect(url_for("chats.index"))
    db.session.commit()
    current_app.logger.info("user %s created chat %s", current_user.id, chat.id)
    realtime.chat_created_event(chat)
    return redirect(url_for("chats.show", chat_id=chat.id))


@bp.get("/chats/<id:chat_id>")
@login_required
def show(chat_id: int):
    chat = chat_or_404(chat_id)
    work_in(chat.account_id)
    messages = conversation.shown_path(chat)
    models = registry.enabled_models("chat")
    model_form = ModelForm(model_id=chat.model_id)
    model_form.model_id.choices = _model_choices(models)
    if chat.model_id not in {choice.value for choice in model_form.model_id.choices}:
        model_form.model_id.choices.insert(0, SelectChoice(chat.model_id, f"{chat.model.name} (switched off)"))
    budgets = usage.budgets(chat.account, current_user, utcnow().date())
    return render_template(
        "chats/show.html", chat=chat, messages=messages, versions=conversation.versions(chat.id, messages),
        totals=usage.chat_totals([chat.id]).get(chat.id) or usage.Totals(),
        budget_warning=next((b.caution() for b in budgets if b.warning), None),
        models=models,
        rename_form=RenameForm(title=chat.title), model_form=model_form,
        instructions_form=InstructionsForm(instructions=chat.instructions),
        can_delete=chat_service.may_delete(chat, current_user),
        tool_names=[tool.name for tool in all_tools()],
        image_model=next(iter(registry.enabled_models("image")), None),
        send_blocked=posting.send_blocked_reason(chat, current_user, budgets),
    )


@bp.post("/chats/<id:chat_id>/rename")
@login_required
def rename(chat_id: int):
    chat = chat_or_404(chat_id)
    form = RenameForm()
    if not form.validate_on_submit():
        return _refused(chat, next(iter(form.title.errors), "Enter a title."))
    chat_service.rename(chat, form.title.data)
    return _changed(chat, "Chat renamed.")


@bp.post("/chats/<id:chat_id>/model")
@login_required
def change_model(chat_id: int):
    chat = chat_or_404(chat_id)
    form = ModelForm()
    form.model_id.choices = _model_choices()
    try:
        if not form.validate_on_submit():
            raise chat_service.ChatError("That model is not available. Choose another one.")
        chat_service.change_model(chat, form.model_id.data)
    except chat_service.ChatError as exc:
        return _refused(chat, str(exc))
    return _changed(chat, "Model changed; the next answer uses it.")


@bp.post("/chats/<id:chat_id>/instructions")
@login_required
def instructions(chat_id: int):
    chat = chat_or_404(chat_id)
    form = InstructionsForm()
    if not form.validate_on_submit():
        return _refused(chat, "Instructions can be at most 20,000 characters.")
    chat_service.set_instructions(chat, form.instructions.data)
    return _changed(chat, "Instructions saved." if chat.instructions else "Instructions cleared.")


@bp.post("/chats/<id:chat_id>/delete")
@login_required
def delete(chat_id: int):
    chat = chat_or_404(chat_id)
    if not chat_service.may_delete(chat, current_user):
        abort(403)
    title, account_id = chat.display_title, chat.account_id
    files = chat_service.delete_chat(chat)
    db.session.commit()
    storage.remove_unreferenced(files)
    realtime.chat_deleted_event(chat_id, account_id)
    if wants_json():
        return {"deleted": chat_id}
    flash(f"Deleted “{title}” and all of its messages.", "success")
    return redirect(url_for("chats.index"))


@bp.get("/chats/<id:chat_id>/export")
@login_required
def export(chat_id: int):
    """The chat as a Markdown or JSON download (``format=md|json``), from the chat's menu."""
    fmt = request.args.get("format", "md")
    if fmt not in ("md", "json"):
        abort(404)
    return download(chat_or_404(chat_id), fmt)
