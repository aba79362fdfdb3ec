"""Checks every request passes before a view sees it."""
from __future__ import annotations

from flask import Flask, request

from app.errors import error_response

NUL_REFUSED = "Text cannot contain NUL characters."


def register(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():
        """PostgreSQL cannot store NUL in text; refuse it up front rather than fail mid-write."""
        values = [*request.args.values(), *request.form.values()]
        if any("\x00" in value for value in values):
            return error_response(400, NUL_REFUSED, "invalid_text")
        return None
