"""Views of the Admin pages: thin, each calls the catalog's or identity's use case. Anyone who
is not an administrator gets 404 on every one of them, as for a page that does not exist."""
from __future__ import annotations

import glob
from functools import wraps

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.admin import bp
from app.admin.forms import ActionForm, AdminForm, ProviderForm
from app.catalog import adjustments, connections, refresh
from app.extensions import db
from app.identity import admins
from app.models import LlmModel, LlmProvider, User
from app.models.registry import CAPABILITIES, KINDS
from app.web.errors import wants_json

MODELS_PER_PAGE = 100
STATES = {"enabled": "Switched on", "disabled": "Switched off", "unavailable": "No longer listed",
          "unpriced": "Price unknown"}


def admin_required(view):
    @wraps(view)
    @login_required
    def checked(*args, **kwargs):
        if not current_user.is_admin:
            abort(404)
        return view(*args, **kwargs)
    return checked


def _provider_or_404(provider_id: int) -> LlmProvider:
    provider = db.session.get(LlmProvider, provider_id)
    if provider is None or provider.removed_at is not None:
        abort(404)
    return provider


def _checked_form() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


@bp.get("/")
@admin_required
def home():
    return redirect(url_for("admin.providers"))


@bp.get("/welcome")
@admin_required
def welcome():
    """What the first administrator sees right after signing up: connect a provider, or try the demo."""
    return render_template("admin/welcome.html", form=ProviderForm())


@bp.get("/providers")
@admin_required
def providers():
    rows = db.session.execute(sa.select(LlmProvider).where(LlmProvider.removed_at.is_(None))
                              .order_by(LlmProvider.key)).scalars().all()
    counts = {pid: (total, on) for pid, total, on in db.session.execute(
        sa.select(LlmModel.provider_id, sa.func.count(LlmModel.id),
                  sa.func.sum(sa.case((LlmModel.offered_clause(), 1), else_=0)))
        .group_by(LlmModel.provider_id)).all()}
    return render_template("admin/providers.html", providers=rows, counts=counts, form=ProviderForm(),
                           action_form=ActionForm(), admin_form=AdminForm(), admins=admins.administrators())


@bp.post("/providers")
@admin_required
def add_provider():
    form = ProviderForm()
    if not form.validate_on_submit():
        flash(next(iter(form.errors.values()))[0], "error")
        return redirect(url_for("admin.providers"))
    try:
        provider = connections.add(form.name.data, form.base_url.data, form.api_key.data)
    except connections.ProviderProblem as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.providers"))
    db.session.commit()
    [result] = refresh.refresh(provider.key)
    if result.error:
        flash(f"Added {provider.label}, but its models could not be listed: {result.error}", "error")
    else:
        flash(f"Connected to {provider.label}: {result.listed} models, switched off until you switch them on.",
              "success")
    return redirect(url_for("admin.models", provider=provider.key))


@bp.post("/providers/<id:provider_id>/test")
@admin_required
def test_provider(provider_id: int):
    provider = _provider_or_404(provider_id)
    _checked_form()
    try:
        ids = connections.test(provider)
    except connections.ProviderProblem as exc:
        if wants_json():
            return {"ok": False, "error": {"message": str(exc)}}, 200
        flash(f"{provider.label}: {exc}", "error")
        return redirect(url_for("admin.providers"))
    message = f"{provider.label} answers: it lists {len(ids)} models ({', '.join(ids[:6])}{', …' if len(ids) > 6 else ''})."
    if wants_json():
        return {"ok": True, "message": message, "models": ids}
    flash(message, "success")
    return redirect(url_for("admin.providers"))


@bp.post("/providers/<id:provider_id>/refresh")
@admin_required
def refresh_provider(provider_id: int):
    provider = _provider_or_404(provider_id)
    _checked_form()
    [result] = refresh.refresh(provider.key)
    flash(result.summary(), "error" if result.error else "success")
    return redirect(url_for("admin.providers"))


@bp.post("/providers/<id:provider_id>/remove")
@admin_required
def remove_provider(provider_id: int):
    provider = _provider_or_404(provider_id)
    _checked_form()
    if not provider.added_by_admin:
        flash(f"{provider.label} comes from the model file: remove it there.", "error")
        return redirect(url_for("admin.providers"))
    label = provider.label
    deleted = connections.remove(provider)
    db.session.commit()
    flash(f"Removed {label} and its key; {deleted} of its models went with it, the ones chats use are kept "
          "switched off.", "success")
    return redirect(url_for("admin.providers"))


@bp.get("/models")
@admin_required
def models():
    query_text = (request.args.get("q") or "").strip()[:100]
    provider_key = request.args.get("provider") or ""
    capability = request.args.get("capability") or ""
    state = request.args.get("state") or ""
    query = sa.select(LlmModel).join(LlmProvider).where(LlmProvider.removed_at.is_(None))
    if query_text:
        like = f"%{query_text.lower()}%"
        query = query.where(sa.or_(sa.func.lower(LlmModel.name).like(like), sa.func.lower(LlmModel.id).like(like)))
    if provider_key:
        query = query.where(LlmProvider.key == provider_key)
    if capability in CAPABILITIES:
        query = query.where(sa.cast(LlmModel.capabilities, sa.String).like(f'%"{capability}"%'))
    elif capability in KINDS:
        query = query.where(LlmModel.kind == capability)
    if state == "enabled":
        query = query.where(LlmModel.offered_clause())
    elif state == "disabled":
        query = query.where(LlmModel.enabled.is_(False), LlmModel.available.is_(True))
    elif state == "unavailable":
        query = query.where(LlmModel.available.is_(False))
    elif state == "unpriced":
        query = query.where(sa.or_(LlmModel.input_price.is_(None), LlmModel.output_price.is_(None)))
    page = db.paginate(query.order_by(LlmProvider.key, LlmModel.name), per_page=MODELS_PER_PAGE, error_out=False)
    provider_keys = db.session.execute(sa.select(LlmProvider.key).where(LlmProvider.removed_at.is_(None))
                                       .order_by(LlmProvider.key)).scalars().all()
    return render_template("admin/models.html", page=page, q=query_text, provider=provider_key,
                           capability=capability, state=state, provider_keys=provider_keys,
                           capabilities=CAPABILITIES, kinds=KINDS, states=STATES, action_form=ActionForm())


def _back_to_models():
    """Back to the model table as it was filtered (only ever a path under /admin/models)."""
    target = request.form.get("next") or ""
    if not target.startswith("/admin/models") or "//" in target or "\\" in target:
        target = url_for("admin.models")
    return redirect(target)


def _model_from_form() -> LlmModel:
    model = db.session.get(LlmModel, request.form.get("model_id") or "")
    if model is None:
        abort(404)
    return model


@bp.post("/models/switch")
@admin_required
def switch_model():
    _checked_form()
    model = _model_from_form()
    on = request.form.get("on") == "1"
    if on and model.kind not in ("chat", "image"):
        flash(f"{model.name} is an {model.kind} model: chats cannot use it.", "error")
        return _back_to_models()
    adjustments.switch(glob.escape(model.id), on=on)
    flash(f"{model.name} is switched {'on' if on else 'off'}.", "success")
    return _back_to_models()


@bp.post("/models/override")
@admin_required
def override_model():
    _checked_form()
    model = _model_from_form()
    typed = {field: request.form.get(field, "") for field in (*adjustments.PRICE_FIELDS, *adjustments.LIMIT_FIELDS)
             if field in request.form}
    try:
        fields = adjustments.override(model, typed)
    except adjustments.AdjustmentError as exc:
        db.session.rollback()
        flash(f"{model.name}: {exc}", "error")
        return _back_to_models()
    db.session.commit()
    flash(f"{model.name}: {', '.join(f.replace('_', ' ') for f in fields)} set by hand." if fields
          else f"{model.name}: back to its sources' figures at the next refresh.", "success")
    return _back_to_models()


@bp.post("/admins")
@admin_required
def add_admin():
    form = AdminForm()
    if not form.validate_on_submit():
        flash(next(iter(form.errors.values()))[0], "error")
        return redirect(url_for("admin.providers", _anchor="admins"))
    try:
        user = admins.make_admin(form.email.data)
    except admins.AdminError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"{user.name} is now an administrator.", "success")
    return redirect(url_for("admin.providers", _anchor="admins"))


@bp.post("/admins/<id:user_id>/remove")
@admin_required
def remove_admin(user_id: int):
    _checked_form()
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    try:
        admins.remove_admin(user)
    except admins.AdminError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.providers", _anchor="admins"))
    db.session.commit()
    flash(f"{user.name} is no longer an administrator.", "success")
    if user.id == current_user.id:
        return redirect(url_for("chats.index"))
    return redirect(url_for("admin.providers", _anchor="admins"))
