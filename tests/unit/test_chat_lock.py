"""The chat lock knows when it was renewed, and many are extended in one round trip."""
from __future__ import annotations

import fakeredis
import pytest
import redis

from app.engine.chat_lock import EXTEND_ALL, chat_lock, extend_all


@pytest.fixture
def client():
    return fakeredis.FakeRedis()


def test_a_lock_just_taken_counts_as_renewed_and_an_old_one_does_not(client, monkeypatch):
    lock = chat_lock(client, 1, ttl=20)
    assert not lock.renewed_within(5)
    assert lock.acquire()
    assert lock.renewed_within(5)
    assert not chat_lock(client, 1, ttl=20).acquire()  # one reply at a time in a chat


def test_every_held_lock_is_extended_in_one_round_trip_and_a_lost_one_is_left_alone(client, monkeypatch):
    held, lost, released = (chat_lock(client, chat_id, ttl=2) for chat_id in (1, 2, 3))
    for lock in (held, lost, released):
        assert lock.acquire()
    client.set(lost.name, b"someone else's token")  # it expired and another process took it
    released.release()
    script = client.register_script(EXTEND_ALL)
    extend_all(script, [held], ttl=2)  # the server learns the script once
    held.renewed_at = lost.renewed_at = 0.0
    calls = []
    original = redis.Redis.execute_command
    monkeypatch.setattr(redis.Redis, "execute_command",
                        lambda self, *args, **kwargs: calls.append(args[0]) or original(self, *args, **kwargs))
    extend_all(script, [held, lost, released], ttl=60)
    assert calls == ["EVALSHA"]
    assert 59_000 < client.pttl(held.name) <= 60_000
    assert held.renewed_within(1)
    assert client.pttl(lost.name) == -1 and client.get(lost.name) == b"someone else's token"
    assert not lost.renewed_within(1)
    assert not client.exists(released.name)
