"""This web process's live sockets, and ending their access the moment it ends (SPEC §4, §10).

Every web process hears the control events of the event bus (``app/realtime/__init__.py``): the
sockets of a signed-out session or of a revoked API token are disconnected, and when a
membership ends, the user's sockets leave the rooms of that account's chats (their other
chats keep streaming). A ``join`` also re-checks the socket's credentials, in case a
control event was missed.
"""
from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass

import sqlalchemy as sa

from app import realtime
from app.extensions import db, socketio
from app.identity import sessions
from app.models import ApiToken, Chat, Membership
from app.realtime import presence, room_for
from app.realtime.delivery import on_control

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Credentials:
    """What a socket connected with: a browser session, or an API token."""

    user_id: int
    session_id: str | None = None
    token_id: int | None = None

    def still_valid(self) -> bool:
        if self.token_id is not None:
            return db.session.get(ApiToken, self.token_id) is not None
        return sessions.is_live(self.user_id, self.session_id)

    def as_dict(self) -> dict:
        return asdict(self)


_sockets: dict[str, Credentials] = {}
_by_user: dict[int, set[str]] = {}  # user id -> their sids here: a connect counts its person's, not everyone's
_rooms: dict[str, set[int]] = {}  # sid -> chat ids joined
_typed_at: dict[str, float] = {}


def opened(sid: str, credentials: Credentials) -> None:
    _sockets[sid] = credentials
    _by_user.setdefault(credentials.user_id, set()).add(sid)


def _forget(sid: str) -> None:
    credentials = _sockets.pop(sid, None)
    if credentials is not None and (sids := _by_user.get(credentials.user_id)) is not None:
        sids.discard(sid)
        if not sids:
            del _by_user[credentials.user_id]


def open_for(user_id: int) -> int:
    """The user's sockets open in this web process (that Socket.IO still holds)."""
    manager = socketio.server.manager
    return sum(1 for sid in list(_by_user.get(user_id, ())) if manager.is_connected(sid, "/"))


def closed(sid: str) -> set[int]:
    """Forget the socket; returns the chats it was in."""
    _forget(sid)
    _typed_at.pop(sid, None)
    return _rooms.pop(sid, set())


def joined(sid: str, chat_id: int) -> None:
    _rooms.setdefault(sid, set()).add(chat_id)


def left(sid: str, chat_id: int) -> bool:
    """Forget that the socket is in the chat's room; False if it was not."""
    chats = _rooms.get(sid, set())
    if chat_id not in chats:
        return False
    chats.discard(chat_id)
    return True


def may_signal_typing(sid: str, every: float) -> bool:
    """At most one ``typing`` event per socket every ``every`` seconds."""
    now = time.monotonic()
    if now - _typed_at.get(sid, 0.0) < every:
        return False
    _typed_at[sid] = now
    return True


def _disconnect(matches) -> None:
    for sid, credentials in list(_sockets.items()):
        if matches(credentials):
            _forget(sid)
            socketio.server.disconnect(sid, namespace="/")
            log.info("ended socket %s of user %s", sid, credentials.user_id)


def end_session_sockets(ended: dict) -> None:
    """A session ended; ``session_id`` None: every session of the user, and their token sockets,
    or, with ``kept`` (a password change), every other browser session."""
    user_id, session_id, kept = ended.get("user_id"), ended.get("session_id"), ended.get("kept")

    def ended_here(c: Credentials) -> bool:
        if c.user_id != user_id:
            return False
        if session_id is not None:
            return c.session_id == session_id
        if kept is not None:
            return c.session_id is not None and c.session_id != kept
        return True
    _disconnect(ended_here)


def end_token_sockets(revoked: dict) -> None:
    token_id = revoked.get("token_id")
    _disconnect(lambda c: c.token_id is not None and c.token_id == token_id)


def leave_account_rooms(ended: dict) -> None:
    """A membership ended: the user's sockets here hear ``access.ended`` and leave the account's
    room and the rooms of its chats (and the room's presence)."""
    user_id, account_id = ended.get("user_id"), ended.get("account_id")
    mine = list(_by_user.get(user_id, ()))
    for sid in mine:
        socketio.server.leave_room(sid, realtime.account_room(account_id), namespace="/")
        # The page says so at once, rather than "live" until its next post is refused.
        socketio.emit("access.ended", {"account_id": account_id}, to=sid, namespace="/")
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
            chat_id = int(room.split(":", 1)[1])
            if chat_id in theirs:
                socketio.server.leave_room(sid, room, namespace="/")
                if left(sid, chat_id):
                    realtime.presence_event(chat_id, presence.left(chat_id, sid))


def leave_moved_chat(moved: dict) -> None:
    """A chat moved to another account: the sockets here of people who may not see it there
    leave its room (and its presence)."""
    chat_id, account_id = moved.get("chat_id"), moved.get("account_id")
    room = room_for(chat_id)
    present = [sid for sid in list(_sockets) if room in socketio.server.rooms(sid, namespace="/")]
    if not present:
        return
    with db.engine.connect() as connection:  # not the session: this may run in the bus listener
        chat = connection.execute(sa.select(Chat.private, Chat.creator_id).where(Chat.id == chat_id)).first()
        members = set(connection.execute(
            sa.select(Membership.user_id).where(Membership.account_id == account_id)).scalars())
    for sid in present:
        credentials = _sockets.get(sid)
        user_id = credentials.user_id if credentials else None
        if chat is None or user_id not in members or (chat.private and chat.creator_id != user_id):
            socketio.server.leave_room(sid, room, namespace="/")
            if left(sid, chat_id):
                realtime.presence_event(chat_id, presence.left(chat_id, sid))


on_control(sessions.ENDED_EVENT, end_session_sockets)
on_control(realtime.TOKEN_REVOKED, end_token_sockets)
on_control(realtime.MEMBERSHIP_ENDED, leave_account_rooms)
on_control(realtime.CHAT_MOVED, leave_moved_chat)
