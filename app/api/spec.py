"""The OpenAPI 3.1 document and request/response validation, from the same pydantic models.

spectree checks each request's query, headers and body against ``app/api/schemas.py``
before the view runs, and each JSON answer after it (an answer that does not match its
schema is a 500, so the document cannot drift from what is served). Its document is
served at ``/api/v1/openapi.json`` (:func:`document`, which adds the bodies that are not
JSON: the Markdown export, the event stream, attachment files); the reference page is ours
(``app/api/reference.py``), so no page loads a viewer from a CDN.
"""
from __future__ import annotations

import copy
import json

from spectree import SecurityScheme, SecuritySchemeData, SpecTree
from spectree.models import SecureType

from app.api.schemas import MAX_ID, Error
from app.web.errors import CODES

DESCRIPTION = """\
Confab's JSON API: the same chats, messages and rules as the pages.

Authenticate with a personal API token (the API tokens page, or `flask tokens create EMAIL`)
in an `Authorization: Bearer cfb_…` header. A token acts as its owner in every account they
belong to. Errors are always `{"error": {"code", "message"}}`; an id that is missing or not
yours is a 404. Each token may make `API_RATE_LIMIT` requests (default 300 a minute); past
it the answer is a 429 with `Retry-After`.

`GET /chats/{chat_id}/events` is a Server-Sent Events stream of the chat's events, the same
events and payloads as the Socket.IO room: see its own description.
"""


def _refuse_invalid(req, resp, req_validation_error, instance, model_adapter) -> None:
    """Validation errors answer in the API's own error shape, naming the first problem."""
    if req_validation_error is None or resp is None:
        return
    problems = model_adapter.validation_errors(req_validation_error)
    first = problems[0] if problems else {}
    where = ".".join(str(part) for part in first.get("loc", ())) or "body"
    resp.set_data(json.dumps({"error": {"code": CODES[422], "message": f"{where}: {first.get('msg', 'invalid')}"}}))
    resp.mimetype = "application/json"


api = SpecTree(
    "flask",
    title="Confab API",
    version="1",
    description=DESCRIPTION,
    path="api/v1/openapi",  # spectree leaves routes under its own path out of the document
    page_templates={},
    mode="strict",
    annotations=True,
    validation_error_model=Error,
    before=_refuse_invalid,
    security_schemes=[SecurityScheme(name="bearer", data=SecuritySchemeData(
        type=SecureType.HTTP, scheme="bearer", description="A Confab API token (`cfb_…`)."))],
    security={"bearer": []},
)

EVENTS_DESCRIPTION = """\
Server-Sent Events (`text/event-stream`): every event of the chat's room, with the same
names and JSON payloads as Socket.IO (SPEC §5): `message.created`, `message.delta`
(`seq`, `text`, `channel`), `message.completed`, `message.failed`, `message.cancelled`,
`message.interrupted`, `message.tool_call`, `attachment.read` (`message_id`, `attachment`: a
PDF's text has been read, or could not be; the reply waits for it), `chat.updated`,
`chat.path`, `chat.moved` (`account_id`: its creator moved it to another account; ask for the
chat again), `chat.deleted`, `presence`, `typing`. Each has an `id:` line.

A new stream opens with `ready`: `{"chat_id", "unfinished": [{"message": MESSAGE, "seq": N}]}`,
the text so far of every reply still streaming; the events after it continue from there.
Reconnect with the `Last-Event-ID` header (EventSource does it for you) and the stream
sends every event after that id, once, before the live ones, including the deltas of a reply
still streaming. An id too old to resume gets `reset` instead, with the same body as `ready`:
fetch the chat again (`GET /chats/{chat_id}`); the stream goes on from there. A comment line (`: keep-alive`) every `SSE_HEARTBEAT_SECONDS` (default 15)
keeps proxies from closing a quiet stream. `chat.deleted` ends the stream; so do revoking
the token and leaving the account.
"""

SSE_EVENT = {
    "type": "object",
    "description": "One event of the stream: its name, its JSON payload (as text) and its id.",
    "properties": {
        "event": {"type": "string", "enum": [
            "ready", "reset", "message.created", "message.delta", "message.completed", "message.failed",
            "message.cancelled", "message.interrupted", "message.tool_call", "attachment.read", "chat.updated",
            "chat.path", "chat.moved",
            "chat.deleted", "presence", "typing"]},
        "data": {"type": "string", "contentMediaType": "application/json"},
        "id": {"type": "string", "pattern": r"^[0-9]{1,20}-[0-9]{1,20}$"},
    },
    "required": ["event", "data"],
}
ID_PARAMETER = {"type": "integer", "minimum": 1, "maximum": MAX_ID}

# Bodies that are not JSON, by (path, method, status).
_OTHER_CONTENT = {
    ("/api/v1/chats/{chat_id}/export", "get", "200"): {"text/markdown": {"schema": {"type": "string"}}},
    ("/api/v1/chats/{chat_id}/events", "get", "200"): {"text/event-stream": {"schema": SSE_EVENT}},
    ("/api/v1/attachments/{attachment_id}", "get", "200"): {
        "application/octet-stream": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}},
    },
}


def document() -> dict:
    """The OpenAPI 3.1 document, with the bodies spectree cannot describe added."""
    spec = copy.deepcopy(api.spec)
    for item in spec["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter.get("schema") is None:
                    parameter["schema"] = dict(ID_PARAMETER)
    # Every field of a new chat is optional, so is the body.
    spec["paths"]["/api/v1/chats"]["post"]["requestBody"]["required"] = False
    for (path, method, status), content in _OTHER_CONTENT.items():
        response = spec["paths"][path][method]["responses"][status]
        response.setdefault("content", {}).update(content)
    events = spec["paths"]["/api/v1/chats/{chat_id}/events"]["get"]
    events["description"] = EVENTS_DESCRIPTION
    events.setdefault("parameters", []).append({
        "name": "Last-Event-ID", "in": "header", "required": False,
        "schema": {"type": "string", "pattern": r"^[0-9]{1,20}-[0-9]{1,20}$"},
        "description": "The id of the last event received; the stream resumes right after it.",
    })
    return spec
