"""Views for the auth blueprint: validate, call the service, commit, respond."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp, devices
from app.auth.forms import LoginForm, SignupForm
from app.extensions import db, limiter
from app.identity import invitations, sessions
from app.identity.accounts import AccountError, authenticate, create_user, password_problem
from app.identity.scoping import SESSION_ACCOUNT_KEY
from app.models import normalise_email

WRONG_CREDENTIALS = "That email and password do not match an account."


def _login_email_key() -> str:
    return "login-email:" + normalise_email(request.form.get("email", ""))


def _failed_attempt(response) -> bool:
    """Only failed sign-ins count against the limits."""
    return response.status_code != 302


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("chats.index")


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGNUP_LIMIT_PER_ADDRESS"], methods=["POST"],
               error_message="Too many sign-ups from this address. Wait a while and try again.")
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("chats.index"))
    invitation = invitations.by_secret(request.args.get("invite"))
    form = SignupForm()
    if request.method == "GET" and invitation is not None and invitation.email:
        form.email.data = invitation.email
    if form.validate_on_submit():
        problem = password_problem(form.password.data)
        if problem:
            form.password.errors.append(problem)
        else:
            try:
                user = create_user(form.email.data, form.name.data, form.password.data)
                joined = invitations.accept(invitation, user) if invitation is not None else None
            except AccountError as exc:
                db.session.rollback()
                form.email.errors.append(str(exc))
            else:
                session.clear()
                sessions.begin(user)
                db.session.commit()
                login_user(user)
                current_app.logger.info("user %s signed up", user.id)
                if joined is not None:
                    session[SESSION_ACCOUNT_KEY] = joined.account_id
                if user.is_admin and joined is None:  # the instance's first user: set it up first
                    return redirect(url_for("admin.welcome"))
                flash(f"Welcome to {joined.account.name}." if joined else "Welcome to Confab.", "success")
                return redirect(url_for("chats.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/signup.html", form=form, invitation=invitation), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_failed_attempt,
    error_message="Too many sign-in attempts. Wait a minute and try again.",
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_EMAIL"], key_func=_login_email_key, methods=["POST"],
    deduct_when=_failed_attempt, error_message="Too many sign-in attempts. Wait a minute and try again.",
    exempt_when=lambda: devices.is_known(request.form.get("email", "")),
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("chats.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            session.clear()
            sessions.begin(user)
            db.session.commit()
            login_user(user)
            current_app.logger.info("user %s signed in", user.id)
            response = redirect(_safe_next(request.args.get("next")))
            devices.remember(response, form.email.data)
            return response
        form.password.errors.append(WRONG_CREDENTIALS)
    status = 401 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    sessions.end(current_user.id, sessions.current_id())
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/logout/everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    """End every session of this user: other browsers, copied cookies and open sockets too."""
    sessions.end_all(current_user.id)
    logout_user()
    session.clear()
    flash("You are signed out everywhere.", "info")
    return redirect(url_for("auth.login"))
