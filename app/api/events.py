"""``GET /api/v1/chats/{id}/events``: the chat's events as Server-Sent Events (SPEC §5, §8).

The view checks the token and the chat, subscribes to this process's hub, reads what the
stream must open with, and lets go of its database connection before the first byte: the
open stream holds neither a database nor a Redis connection (``app/realtime/streams.py``).
"""
from __future__ import annotations

import json

from flask import current_app, request
from spectree import Response

from app.api import ID, bp
from app.api.auth import api_token, api_user
from app.api.errors import api_error
from app.api.schemas import Error
from app.api.spec import api
from app.conversations import tree
from app.engine import live_state
from app.extensions import db
from app.identity.scoping import chat_or_404
from app.platform.redis_client import get_redis
from app.realtime.event_log import since, valid_id
from app.realtime.streams import relay, sse

HEADERS = {"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store",
           "X-Accel-Buffering": "no"}


@bp.get(f"/chats/<{ID}:chat_id>/events")
@api.validate(resp=Response(HTTP_200=None, HTTP_401=Error, HTTP_404=Error, HTTP_422=Error, HTTP_429=Error),
              tags=["events"], skip_validation=True)
def chat_events(chat_id: int):
    """The chat's live events, resumable with Last-Event-ID."""
    last_event_id = request.headers.get("Last-Event-ID")
    if last_event_id is not None and not valid_id(last_event_id):
        return api_error(422, "Last-Event-ID must be the id of an event this stream sent.", "invalid")
    user, token = api_user(), api_token()
    chat = chat_or_404(chat_id, user)
    hub = current_app.extensions["confab.streams"]
    limit = current_app.config["MAX_EVENT_STREAMS_PER_TOKEN"]
    if hub.count_for_token(token.id) >= limit:  # no wait between this and subscribing: one green thread
        return api_error(429, f"This token already has {limit} event streams open; close one first.",
                         "too_many_streams")
    subscriber = hub.subscribe(chat.id, user.id, chat.account_id, token.id)
    try:
        missed = None if last_event_id is None else since(get_redis(), chat.id, last_event_id)
        if missed is None:  # a new stream, or one whose id the log no longer reaches
            opening, position = _snapshot(chat, subscriber, "ready" if last_event_id is None else "reset")
        else:
            opening = [sse(name, payload, event_id) for event_id, name, payload in missed]
            position = missed[-1][0] if missed else last_event_id
    except Exception:
        hub.unsubscribe(subscriber)
        raise
    current_app.logger.info("user %s follows chat %s's events from %s", user.id, chat.id, position)
    db.session.remove()  # the stream holds no database connection
    body = relay(hub, subscriber, opening, position, current_app.config["SSE_HEARTBEAT_SECONDS"])
    return body, 200, HEADERS


def _snapshot(chat, subscriber, name: str) -> tuple[list[str], str]:
    """``ready`` (a new stream) or ``reset`` (one that cannot resume: refetch the chat): every
    unfinished reply of the shown path so far. Its id is the log position that text reaches,
    so the live events continue exactly after it."""
    unfinished = tree.unfinished_on_path(chat)
    position, states = live_state.snapshot_with_log(chat.id, [m.id for m in unfinished])
    snapshot = [tree.live_entry(m, states[m.id]) for m in unfinished]
    subscriber.skip_created.update(m.id for m in unfinished)
    data = json.dumps({"chat_id": chat.id, "unfinished": snapshot}, separators=(",", ":"))
    return [sse(name, data, position)], position
