"""Checks every request passes before a view sees it, and headers every answer gets."""
from __future__ import annotations

import re

from flask import Flask, Response, request
from flask_login import current_user

from app.web.errors import error_response

NUL_REFUSED = "Text cannot contain NUL characters."
MAX_JSON_DEPTH = 64
TOO_DEEP = f"The JSON body is nested too deeply: at most {MAX_JSON_DEPTH} levels of arrays and objects."
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


def json_depth(body: bytes) -> int:
    """How deeply ``body``'s arrays and objects nest, counted without parsing it (a parser
    recurses once per level, and 100,000 levels end in a RecursionError). Brackets inside
    strings do not count; a malformed body is the parser's to refuse."""
    depth = deepest = 0
    for bracket in _STRINGS.sub(b"", body).translate(None, _NOT_BRACKETS):
        if bracket in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def register(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():
        """PostgreSQL cannot store NUL in text; refuse it up front rather than fail mid-write."""
        values = [*request.args.values(), *request.form.values()]
        if any("\x00" in value for value in values):
            return error_response(422 if request.blueprint == "api" else 400, NUL_REFUSED, "invalid_text")
        return None

    @app.before_request
    def refuse_deeply_nested_json():
        """JSON bodies nested past ``MAX_JSON_DEPTH`` get a 400 before anything parses them."""
        if request.is_json and json_depth(request.get_data(cache=True)) > MAX_JSON_DEPTH:
            return error_response(400, TOO_DEEP, "too_deep")
        return None

    @app.after_request
    def never_store_private_pages(response: Response) -> Response:
        """Pages and JSON for a signed-in person stay out of every cache (a shared computer's
        back button, a proxy); static files stay cacheable."""
        if request.blueprint == "api":
            if "Cache-Control" not in response.headers:  # files set their own (private)
                response.headers["Cache-Control"] = "no-store"
        elif ("Cache-Control" not in response.headers  # set already (a 503 while the database is away)
              and request.endpoint not in ("static", "messages.attachment") and current_user.is_authenticated):
            response.headers["Cache-Control"] = "no-store"
        return response
