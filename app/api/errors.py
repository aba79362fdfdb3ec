"""Every API error is ``{"error": {"code", "message"}}`` with its status (SPEC §8)."""
from __future__ import annotations

from typing import TypeVar

from flask import Response, abort, jsonify
from pydantic import BaseModel, ValidationError

from app.web.errors import CODES, MESSAGES


def api_error(status: int, message: str | None = None, code: str | None = None) -> Response:
    response = jsonify({"error": {"code": code or CODES.get(status, "error"),
                                  "message": message or MESSAGES.get(status, "Error.")}})
    response.status_code = status
    return response


Model = TypeVar("Model", bound=BaseModel)


def parsed(model: type[Model], data: dict) -> Model:
    """``data`` checked against ``model``, or a 422 naming the first problem (for the routes
    whose bodies spectree does not read: streams and files)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "request"
        abort(api_error(422, f"{where}: {first['msg']}", "invalid"))


def json_body(context_body: Model | None) -> Model:
    """The validated JSON body, or a 415 when the request sent something else (a form)."""
    if context_body is None:
        abort(api_error(415, "Send a JSON body (Content-Type: application/json).", "unsupported_media_type"))
    return context_body
