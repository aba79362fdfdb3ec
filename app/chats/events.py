"""Socket.IO handlers for chat rooms (SPEC §5). Emitting lives in ``app/realtime.py``."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, request, session
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room, leave_room

from app.extensions import db, socketio
from app.ids import parse_id
from app.models import ApiToken, Chat, Message, User
from app.models.chats import UNFINISHED
from app import realtime
from app.realtime import room_for
from app.services import live_state, sessions
from app.services.current import is_member


def _bearer_user():
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        token = ApiToken.authenticate(header[7:].strip())
        if token is not None:
            db.session.commit()
            return token.user
    return None


def _connected_user():
    if current_user.is_authenticated:
        return current_user
    return _bearer_user()


# This web process's sockets: sid -> (user id, signed-in session id, None for API tokens).
_sockets: dict[str, tuple[int, str | None]] = {}


@socketio.on("connect")
def on_connect(auth=None):
    user = _connected_user()
    if user is None:
        raise ConnectionRefusedError("unauthorized")
    session_id = sessions.current_id() if current_user.is_authenticated else None
    session["socket_user_id"], session["socket_session_id"] = user.id, session_id
    _sockets[request.sid] = (user.id, session_id)
    current_app.logger.info("user %s connected socket %s", user.id, request.sid)


@socketio.on("disconnect")
def on_disconnect(reason=None):
    _sockets.pop(request.sid, None)


def end_sockets(ended: dict) -> None:
    """A session ended (or all of a user's): disconnect its sockets on this web process."""
    user_id, session_id = ended.get("user_id"), ended.get("session_id")
    for sid, (owner, owner_session) in list(_sockets.items()):
        if owner == user_id and (session_id is None or owner_session == session_id):
            _sockets.pop(sid, None)
            socketio.server.disconnect(sid, namespace="/")
            current_app.logger.info("ended socket %s of user %s (signed out)", sid, user_id)


def leave_account_rooms(ended: dict) -> None:
    """A membership ended: the user's sockets on this web process leave the rooms of that
    account's chats at once (their other chats keep streaming)."""
    user_id, account_id = ended.get("user_id"), ended.get("account_id")
    mine = [sid for sid, (owner, _) in list(_sockets.items()) if owner == user_id]
    rooms = {sid: [r for r in socketio.server.rooms(sid, namespace="/") if r.startswith("chat:")] for sid in mine}
    joined = {int(room.split(":", 1)[1]) for names in rooms.values() for room in names}
    if not joined:
        return
    with db.engine.connect() as connection:  # not the session: this may run in the bus listener
        theirs = set(connection.execute(
            sa.select(Chat.id).where(Chat.account_id == account_id, Chat.id.in_(joined))
        ).scalars())
    for sid, names in rooms.items():
        for room in names:
            if int(room.split(":", 1)[1]) in theirs:
                socketio.server.leave_room(sid, room, namespace="/")


realtime.on_control(sessions.ENDED_EVENT, end_sockets)
realtime.on_control(realtime.MEMBERSHIP_ENDED, leave_account_rooms)


def _chat_id(data) -> int | None:
    return parse_id(data.get("chat_id")) if isinstance(data, dict) else None


def _socket_user():
    """The socket's user, unless the browser session it connected with has ended since."""
    user_id, session_id = session.get("socket_user_id"), session.get("socket_session_id")
    if not user_id or (session_id is not None and not sessions.is_live(user_id, session_id)):
        return None
    return db.session.get(User, user_id)


@socketio.on("join")
def on_join(data=None):
    """Join a chat's room; answer with every unfinished message so far.

    The room is joined before the snapshot is read, so a delta is either in the
    snapshot or arrives as an event; the client drops any with a seq it already has.
    """
    chat_id = _chat_id(data)
    user = _socket_user()
    chat = db.session.get(Chat, chat_id) if chat_id is not None else None
    if user is None or chat is None or not is_member(user, chat.account_id):
        return {"ok": False, "error": "Chat not found."}
    join_room(room_for(chat.id))
    unfinished = db.session.execute(
        sa.select(Message).where(Message.chat_id == chat.id, Message.status.in_(UNFINISHED)).order_by(Message.id)
    ).scalars()
    snapshot = []
    for message in unfinished:
        live = live_state.snapshot(message.id)
        public = message.to_public()
        if live["seq"]:
            public["content"], public["reasoning"] = live["content"], live["reasoning"]
        snapshot.append({"message": public, "seq": live["seq"]})
    current_app.logger.info("user %s joined chat %s", user.id, chat.id)
    return {"ok": True, "unfinished": snapshot}


@socketio.on("leave")
def on_leave(data=None):
    chat_id = _chat_id(data)
    if chat_id is not None:
        leave_room(room_for(chat_id))
    return {"ok": True}
