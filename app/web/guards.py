"""Checks every request passes before a view sees it, and headers every answer gets."""
from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user

from app.web.errors import error_response

NUL_REFUSED = "Text cannot contain NUL characters."


def register(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():
        """PostgreSQL cannot store NUL in text; refuse it up front rather than fail mid-write."""
        values = [*request.args.values(), *request.form.values()]
        if any("\x00" in value for value in values):
            return error_response(422 if request.blueprint == "api" else 400, NUL_REFUSED, "invalid_text")
        return None

    @app.after_request
    def never_store_private_pages(response: Response) -> Response:
        """Pages and JSON for a signed-in person stay out of every cache (a shared computer's
        back button, a proxy); static files stay cacheable."""
        if request.blueprint == "api":
            if "Cache-Control" not in response.headers:  # files set their own (private)
                response.headers["Cache-Control"] = "no-store"
        elif request.endpoint not in ("static", "messages.attachment") and current_user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
        return response
