"""Who is in a chat's room right now (SPEC §5 ``presence``), across every web process.

Each open socket in a room is one field of a Redis hash per chat (socket id → the
member's public name and initials), so any web process can tell the whole room. Nothing
here reaches the database. A web process that dies leaves its fields behind until the
hash expires (a day after the room was last joined).
"""
from __future__ import annotations

import json

from app.platform.redis_client import get_redis

TTL = 24 * 3600


def _key(chat_id: int) -> str:
    return f"confab:chat:{chat_id}:presence"


def entered(chat_id: int, sid: str, user: dict) -> list[dict]:
    """Record ``sid`` in the room; returns everyone in it now."""
    key = _key(chat_id)
    pipe = get_redis().pipeline()
    pipe.hset(key, sid, json.dumps(user))
    pipe.expire(key, TTL)
    pipe.hvals(key)
    return _members(pipe.execute()[-1])


def left(chat_id: int, sid: str) -> list[dict]:
    """Forget ``sid`` in the room; returns everyone still in it."""
    key = _key(chat_id)
    pipe = get_redis().pipeline()
    pipe.hdel(key, sid)
    pipe.hvals(key)
    return _members(pipe.execute()[-1])


def _members(values: list[bytes]) -> list[dict]:
    """One entry per member however many tabs they have open, in name order."""
    people: dict[int, dict] = {}
    for value in values:
        try:
            person = json.loads(value)
        except ValueError:
            continue
        if isinstance(person, dict) and isinstance(person.get("id"), int):
            people[person["id"]] = person
    return sorted(people.values(), key=lambda p: (p.get("name") or "", p["id"]))
