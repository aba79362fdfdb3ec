"""The names of Socket.IO rooms and of the bus's control events, shared by every part of
the real-time package."""
from __future__ import annotations

Event = list  # [event name, target, payload], and on the bus the event's log id when it has one

ACCOUNT_ROOM_PREFIX = "account:"
USER_ROOM_PREFIX = "user:"
MEMBERSHIP_ENDED = "membership.ended"
CHAT_MOVED = "chat.moved.control"
TOKEN_REVOKED = "token.revoked"


def room_for(chat_id: int) -> str:
    return f"chat:{chat_id}"


def user_room(user_id: int) -> str:
    """Every browser socket of one person: what is for them alone (an invitation)."""
    return f"{USER_ROOM_PREFIX}{user_id}"


def account_room(account_id: int) -> str:
    """Every socket of a member working in the account: the sidebar's live chat list."""
    return f"{ACCOUNT_ROOM_PREFIX}{account_id}"
