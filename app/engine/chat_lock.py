"""The chat lock: one reply streams in a chat at a time, whichever process answers it.

A redis-py lock that remembers when it was last taken or extended, so a reply that
starts right after its job took the lock does not extend it again, and the supervisor
extends the locks of every reply streaming in a process in one round trip
(:func:`extend_all`), not one each.
"""
from __future__ import annotations

import time

import redis
from redis.lock import Lock

from app.engine.live_state import PREFIX

# KEYS: the lock names; ARGV: the new time to live in ms, then each lock's token.
# Returns, per lock, 1 if it was still held with that token and was extended, else 0.
EXTEND_ALL = """
local extended = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i + 1] then
    redis.call('PEXPIRE', key, ARGV[1])
    extended[i] = 1
  else
    extended[i] = 0
  end
end
return extended
"""


def chat_lock_key(chat_id: int) -> str:
    return f"{PREFIX}:chat:{chat_id}:lock"


class ChatLock(Lock):
    """A chat's lock that knows when it was last taken or extended (``renewed_at``, monotonic)."""

    renewed_at = 0.0

    def do_acquire(self, token: str) -> bool:
        if not super().do_acquire(token):
            return False
        self.renewed_at = time.monotonic()
        return True

    def do_extend(self, additional_time: float, replace_ttl: bool):
        extended = super().do_extend(additional_time, replace_ttl)
        self.renewed_at = time.monotonic()
        return extended

    def renewed_within(self, seconds: float) -> bool:
        return time.monotonic() - self.renewed_at < seconds


def chat_lock(client: redis.Redis, chat_id: int, ttl: float) -> ChatLock:
    """The chat's lock, held for ``ttl`` seconds unless extended; acquiring it does not wait."""
    return client.lock(chat_lock_key(chat_id), timeout=ttl, blocking=False, thread_local=False,
                       lock_class=ChatLock)


def extend_all(script: redis.commands.core.Script, locks: list[ChatLock], ttl: float) -> None:
    """Give every lock still held by its owner ``ttl`` seconds more, in one round trip; a lock
    released or lost meanwhile is left alone. ``script`` is :data:`EXTEND_ALL` registered on a client."""
    held = [lock for lock in locks if lock.local.token is not None]
    if not held:
        return
    extended = script(
        keys=[lock.name for lock in held], args=[int(ttl * 1000), *[lock.local.token for lock in held]])
    now = time.monotonic()
    for lock, done in zip(held, extended):
        if done:
            lock.renewed_at = now
