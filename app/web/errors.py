"""Error pages: JSON for API and fetch callers, HTML for people."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db
from app.platform.db_pool import unreachable

MESSAGES = {
    400: "The request could not be understood.",
    401: "Sign in to continue.",
    403: "You are not allowed to do that.",
    404: "There is nothing here, or it is not yours to see.",
    405: "That method is not allowed here.",
    413: "That request is too large.",
    429: "Too many requests. Wait a moment and try again.",
    500: "Something went wrong on our side. Nothing you wrote was lost.",
    503: "Confab cannot reach its database right now. Try again in a moment: nothing you wrote was lost.",
}

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "rate_limited", 500: "server_error",
         503: "unavailable"}


# Not from a template: the page's layout asks who is signed in, which needs the database.
UNAVAILABLE_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">'
    '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Reconnecting · Confab</title></head>'
    '<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem">'
    f'<h1>One moment</h1><p>{MESSAGES[503]}</p><p>This page tries again by itself every few seconds.</p>'
    '</body></html>')


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    if request.headers.get("X-Requested-With") == "fetch":
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, message: str | None = None, code: str | None = None):
    message = message or MESSAGES.get(status, "Error.")
    if wants_json():
        return {"error": {"code": code or CODES.get(status, "error"), "message": message}}, status
    return render_template("error.html", status=status, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_response(400, "Your form expired or was not sent from Confab. Reload the page and try again.", "csrf_failed")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        custom = exc.description if exc.description != type(exc).description else None
        if exc.code == 413 and custom is None:
            limit = app.config["MAX_MESSAGE_UPLOAD_BYTES"] / (1024 * 1024)
            custom = f"That upload is too large: a message can carry at most {limit:.0f} MB of files."
        body, status = error_response(exc.code or 500, str(custom) if custom else None)
        headers = [(name, value) for name, value in exc.get_headers() if name.lower() != "content-type"]
        return body, status, headers  # e.g. a 405's Allow

    @app.errorhandler(InternalServerError)
    def server_error(exc: InternalServerError):
        db.session.rollback()
        return error_response(500)

    @app.errorhandler(sa.exc.SQLAlchemyError)
    def database_error(exc: sa.exc.SQLAlchemyError):
        """A database restart is a 503 the page can retry, not a 500; anything else is a 500, logged."""
        db.session.rollback()
        if unreachable(exc):
            app.logger.warning("%s %s: the database is unreachable (%s)", request.method, request.path,
                               type(exc).__name__)
            headers = {"Retry-After": "5", "Cache-Control": "no-store"}
            if wants_json():
                return {"error": {"code": CODES[503], "message": MESSAGES[503]}}, 503, headers
            return UNAVAILABLE_PAGE, 503, {**headers, "Content-Type": "text/html; charset=utf-8"}
        app.logger.error("%s %s failed", request.method, request.path, exc_info=exc)
        return error_response(500)
