"""Views for a person's own profile (name, password) and for a password-reset link."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user

from app.auth import bp
from app.auth.forms import NameForm, PasswordChangeForm, PasswordResetForm
from app.extensions import db
from app.identity import passwords, sessions
from app.identity.accounts import AccountError


def _profile_page(name_form: NameForm | None = None, password_form: PasswordChangeForm | None = None,
                  status: int = 200):
    return render_template("auth/profile.html", name_form=name_form or NameForm(name=current_user.name),
                           password_form=password_form or PasswordChangeForm()), status


@bp.get("/account/profile")
@login_required
def profile():
    return _profile_page()


@bp.post("/account/profile/name")
@login_required
def rename():
    form = NameForm()
    if form.validate_on_submit():
        try:
            passwords.rename(current_user, form.name.data)
        except AccountError as exc:
            form.name.errors.append(str(exc))
        else:
            db.session.commit()
            flash("Your name is changed.", "success")
            return redirect(url_for("auth.profile"))
    return _profile_page(name_form=form, status=400)


@bp.post("/account/profile/password")
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            passwords.change_password(current_user, form.current_password.data, form.new_password.data,
                                      sessions.current_id())
        except AccountError as exc:
            db.session.rollback()
            field = form.current_password if "current" in str(exc) else form.new_password
            field.errors.append(str(exc))
        else:
            flash("Your password is changed. Every other browser signed in as you is signed out.", "success")
            return redirect(url_for("auth.profile"))
    return _profile_page(password_form=form, status=400)


@bp.route("/reset/<reset_secret>", methods=["GET", "POST"])
def reset_password(reset_secret: str):
    """Set a new password through a one-time link."""
    reset = passwords.open_reset(reset_secret)
    if reset is None:
        abort(404)
    form = PasswordResetForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            passwords.use_reset(reset, form.new_password.data)
        except AccountError as exc:
            db.session.rollback()
            form.new_password.errors.append(str(exc))
        else:
            if current_user.is_authenticated:
                logout_user()
            flash("Your password is set. Sign in with it.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, person=reset.user), 400 if request.method == "POST" else 200
