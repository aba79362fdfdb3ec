"""Socket.IO handlers for chat rooms (SPEC §5). Emitting lives in ``app/realtime/__init__.py``; which
sockets are open here, and ending them when access ends, in ``app/chats/connections.py``;
who is in a room, in ``app/realtime/presence.py``.

A browser socket also joins its account's room on connect, where the sidebar hears chats
being created, renamed, touched and deleted, and its person's room, where invitations arrive."""
from __future__ import annotations

from flask import current_app, request, session
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room, leave_room
from werkzeug.exceptions import NotFound

from app import realtime
from app.chats import connections
from app.conversations import actions, tree
from app.engine import live_state
from app.extensions import db, socketio
from app.identity import sessions
from app.identity.scoping import current_account_id, member_chat
from app.models import ApiToken, User
from app.platform.admission import takes_turn
from app.platform.ids import parse_id
from app.realtime import presence, room_for

TYPING_EVERY_SECONDS = 1.0


def _bearer_token() -> ApiToken | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        token = ApiToken.authenticate(header[7:].strip())
        if token is not None:
            db.session.commit()
            return token
    return None


@socketio.on("connect")
@takes_turn
def on_connect(auth=None):
    if current_user.is_authenticated:
        credentials = connections.Credentials(current_user.id, session_id=sessions.current_id())
    elif (token := _bearer_token()) is not None:
        credentials = connections.Credentials(token.user_id, token_id=token.id)
    else:
        raise ConnectionRefusedError("unauthorized")
    limit = current_app.config["MAX_SOCKETS_PER_USER"]
    if connections.open_for(credentials.user_id) >= limit:
        raise ConnectionRefusedError(f"too many connections: at most {limit} at once; close a tab first")
    session["socket_credentials"] = credentials.as_dict()
    connections.opened(request.sid, credentials)
    if credentials.session_id is not None:
        join_room(realtime.user_room(credentials.user_id))
        if (account_id := current_account_id()) is not None:
            join_room(realtime.account_room(account_id))
    current_app.logger.info("user %s connected socket %s", credentials.user_id, request.sid)


@socketio.on("disconnect")
def on_disconnect(reason=None):
    for chat_id in connections.closed(request.sid):
        realtime.presence_event(chat_id, presence.left(chat_id, request.sid))


def _chat_id(data) -> int | None:
    return parse_id(data.get("chat_id")) if isinstance(data, dict) else None


def _socket_user():
    """The socket's user, unless the session or token it connected with has ended since."""
    saved = session.get("socket_credentials")
    credentials = connections.Credentials(**saved) if isinstance(saved, dict) else None
    if credentials is None or not credentials.still_valid():
        return None
    return db.session.get(User, credentials.user_id)


@socketio.on("join")
@takes_turn
def on_join(data=None):
    """Join a chat's room; answer with every unfinished message of the shown path so far.

    The room is joined before the snapshot is read, so a delta is either in the
    snapshot or arrives as an event; the client drops any with a seq it already has.
    """
    chat_id = _chat_id(data)
    user = _socket_user()
    chat = member_chat(chat_id, user) if user is not None and chat_id is not None else None
    if chat is None:
        return {"ok": False, "error": "Chat not found."}
    join_room(room_for(chat.id))
    connections.joined(request.sid, chat.id)
    session["socket_user"] = public = user.to_public()
    realtime.presence_event(chat.id, presence.entered(chat.id, request.sid, public))
    snapshot = [tree.live_entry(m, live_state.snapshot(m.id)) for m in tree.unfinished_on_path(chat)]
    current_app.logger.info("user %s joined chat %s", user.id, chat.id)
    return {"ok": True, "unfinished": snapshot}


@socketio.on("leave")
def on_leave(data=None):
    chat_id = _chat_id(data)
    if chat_id is not None and connections.left(request.sid, chat_id):
        leave_room(room_for(chat_id))
        realtime.presence_event(chat_id, presence.left(chat_id, request.sid))
    return {"ok": True}


def _act(data, action) -> dict:
    """Run a regenerate, edit or switch for the socket's user, with the pages' rules."""
    user = _socket_user()
    chat_id = _chat_id(data)
    message_id = parse_id(data.get("message_id")) if isinstance(data, dict) else None
    if user is None or chat_id is None or message_id is None:
        return {"ok": False, "error": "Message not found."}
    try:
        changed = action(user, chat_id, message_id)
    except NotFound:
        db.session.rollback()
        return {"ok": False, "error": "Message not found."}
    except actions.Refused as exc:
        return {"ok": False, "error": exc.message}
    return {"ok": True, **changed.as_json()}


def _text(data, key: str) -> str | None:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


@socketio.on("regenerate")
@takes_turn
def on_regenerate(data=None):
    """``{chat_id, message_id, model_id?}``: a new answer in place of that one."""
    return _act(data, lambda user, chat_id, message_id: actions.regenerate(user, chat_id, message_id, _text(data, "model_id")))


@socketio.on("edit")
@takes_turn
def on_edit(data=None):
    """``{chat_id, message_id, content}``: a new version of the user's own question."""
    return _act(data, lambda user, chat_id, message_id: actions.edit(user, chat_id, message_id, _text(data, "content") or ""))


@socketio.on("switch")
@takes_turn
def on_switch(data=None):
    """``{chat_id, message_id}``: show that version of its turn to everyone in the chat."""
    return _act(data, actions.switch)


@socketio.on("typing")
def on_typing(data=None):
    """Tell the room this member is writing; only from inside the room, at most once a second."""
    chat_id = _chat_id(data)
    user = session.get("socket_user")
    if chat_id is None or user is None or room_for(chat_id) not in socketio.server.rooms(request.sid, namespace="/"):
        return {"ok": False}
    if connections.may_signal_typing(request.sid, TYPING_EVERY_SECONDS):
        realtime.typing_event(chat_id, user)
    return {"ok": True}
