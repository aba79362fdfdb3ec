"""The delta relay: one event per chunk when idle, joined chunks while a send is in flight,
live state always equal to what was sent (SPEC §5, §11)."""
from __future__ import annotations

import threading

import fakeredis
import pytest

from app.engine import live_state
from app.engine.relay import LiveReply, Relay


class HeldDelivery:
    """Records delivered batches; can hold the first send until released."""

    def __init__(self, hold_first: bool = False) -> None:
        self.batches: list[list] = []
        self.sending = threading.Event()
        self.release = threading.Event()
        if not hold_first:
            self.release.set()

    def __call__(self, events: list) -> None:
        self.sending.set()
        self.release.wait(5)
        self.batches.append(events)

    def deltas(self) -> list[tuple[int, int, str, str]]:
        return [(e[2]["message_id"], e[2]["seq"], e[2]["channel"], e[2]["text"]) for b in self.batches for e in b]


@pytest.fixture
def redis_client():
    return fakeredis.FakeRedis()


def test_an_idle_relay_sends_each_chunk_as_its_own_event(redis_client):
    delivery = HeldDelivery()
    relay = Relay(redis_client, deliver=delivery)
    reply = LiveReply(chat_id=1, message_id=10)
    for text in ("Hel", "lo", " there"):
        relay.delta(reply, "content", text)
        assert relay.flush(5)
    assert delivery.deltas() == [(10, 1, "content", "Hel"), (10, 2, "content", "lo"), (10, 3, "content", " there")]
    assert all(event[0] == "message.delta" and event[1] == 1 for batch in delivery.batches for event in batch)


def test_chunks_arriving_during_a_send_are_joined_into_one_event_per_channel_run(redis_client):
    delivery = HeldDelivery(hold_first=True)
    relay = Relay(redis_client, deliver=delivery)
    reply = LiveReply(chat_id=1, message_id=10)
    relay.delta(reply, "content", "a")
    assert delivery.sending.wait(5)
    for channel, text in (("content", "b"), ("content", "c"), ("reasoning", "r"), ("content", "d")):
        relay.delta(reply, channel, text)
    delivery.release.set()
    assert relay.flush(5)
    assert delivery.deltas() == [(10, 1, "content", "a"), (10, 2, "content", "bc"),
                                 (10, 3, "reasoning", "r"), (10, 4, "content", "d")]
    assert len(delivery.batches) == 2


def test_live_state_matches_what_was_sent_for_every_reply_in_a_batch(app):
    from app.platform.redis_client import get_redis

    client = get_redis()
    delivery = HeldDelivery(hold_first=True)
    relay = Relay(client, deliver=delivery)
    first, second = LiveReply(chat_id=1, message_id=21), LiveReply(chat_id=2, message_id=22)
    pipe = client.pipeline()
    for reply in (first, second):
        live_state.reset(pipe, reply.message_id)
    pipe.execute()
    relay.delta(first, "content", "x")
    assert delivery.sending.wait(5)
    for index in range(50):
        relay.delta(first, "content", f"{index} ")
        relay.delta(second, "reasoning", f"r{index}")
    delivery.release.set()
    assert relay.flush(5)
    sent_first = "".join(text for mid, _, _, text in delivery.deltas() if mid == 21)
    sent_second = "".join(text for mid, _, _, text in delivery.deltas() if mid == 22)
    assert live_state.snapshot(21) == {"content": sent_first, "reasoning": "", "seq": 2}
    assert live_state.snapshot(22) == {"content": "", "reasoning": sent_second, "seq": 1}
    assert sent_first == "x" + "".join(f"{i} " for i in range(50))


def test_under_load_a_flush_waits_for_the_lingering_batch_and_gets_every_chunk(redis_client):
    delivery = HeldDelivery(hold_first=True)
    relay = Relay(redis_client, deliver=delivery, linger_per_reply=0.02, max_linger=0.05)
    replies = [LiveReply(chat_id=i, message_id=100 + i) for i in range(3)]
    for reply in replies:
        relay.delta(reply, "content", "a")
    assert delivery.sending.wait(5)
    delivery.release.set()
    assert relay.flush(5)  # the first batch carried three replies: the relay now lingers
    for reply in replies:
        relay.delta(reply, "content", "b")
        relay.delta(reply, "content", "c")
    assert relay.flush(5)
    assert delivery.deltas()[3:] == [(100, 2, "content", "bc"), (101, 2, "content", "bc"), (102, 2, "content", "bc")]
