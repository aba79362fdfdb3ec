"""Each chat's event log and the web process's hub of event streams (issue 10): ids rise in
bus order, a reconnect gets exactly what it missed, and a stream ends when access does."""
from __future__ import annotations

import json
import queue

import fakeredis
import pytest

from app import realtime
from app.engine import live_state
from app.realtime import event_log
from app.realtime.bus import BUS_CHANNEL, PUBLISH_WITH_WRITES
from app.realtime.streams import CLOSE, StreamHub, relay


@pytest.fixture
def redis_server():
    return fakeredis.FakeRedis(server=fakeredis.FakeServer())


def publish(client, events):
    keys, args = event_log.script_arguments(events, BUS_CHANNEL)
    client.register_script(event_log.PUBLISH_EVENTS)(keys=keys, args=args)


def test_chat_events_are_logged_with_the_id_the_bus_carries(redis_server):
    bus = redis_server.pubsub(ignore_subscribe_messages=True)
    bus.subscribe(BUS_CHANNEL)
    publish(redis_server, [["message.created", 7, {"chat_id": 7, "text": "a \"quoted\" [1]"}],
                           ["chat.updated", ["chat:7", "account:1"], {"chat_id": 7, "empty": [], "none": None}],
                           ["chat.created", ["account:1"], {"chat_id": 8}],
                           [realtime.TOKEN_REVOKED, None, {"token_id": 3}]])
    message = None
    for _ in range(20):
        message = message or bus.get_message(timeout=0.05)
    events = json.loads(message["data"])
    assert [e[:3] for e in events] == [
        ["message.created", 7, {"chat_id": 7, "text": "a \"quoted\" [1]"}],
        ["chat.updated", ["chat:7", "account:1"], {"chat_id": 7, "empty": [], "none": None}],
        ["chat.created", ["account:1"], {"chat_id": 8}], [realtime.TOKEN_REVOKED, None, {"token_id": 3}]]
    first_id, second_id = events[0][3], events[1][3]
    assert len(events[2]) == 3 and len(events[3]) == 3  # account-wide and control events are not logged
    assert event_log.id_key(first_id) < event_log.id_key(second_id)
    logged = event_log.since(redis_server, 7, event_log.NO_EVENTS)
    assert [(i, n) for i, n, _ in logged] == [(first_id, "message.created"), (second_id, "chat.updated")]
    assert json.loads(logged[1][2]) == {"chat_id": 7, "empty": [], "none": None}
    assert event_log.since(redis_server, 7, first_id) == [logged[1]]
    assert event_log.since(redis_server, 7, second_id) == []
    assert 0 < redis_server.ttl(event_log.log_key(7)) <= event_log.EVENT_LOG_TTL


def test_an_id_the_log_no_longer_holds_cannot_resume(redis_server):
    assert event_log.since(redis_server, 9, "1-0") is None
    publish(redis_server, [["typing", 9, {"chat_id": 9}]])
    [(only_id, _, _)] = event_log.since(redis_server, 9, event_log.NO_EVENTS)
    redis_server.xtrim(event_log.log_key(9), maxlen=0)
    publish(redis_server, [["typing", 9, {"chat_id": 9}]])
    assert event_log.since(redis_server, 9, only_id) is None


def test_deltas_are_logged_atomically_with_the_live_state(app, redis_server):
    script = redis_server.register_script(PUBLISH_WITH_WRITES)
    events = [["message.delta", 4, {"chat_id": 4, "message_id": 40, "seq": 1, "text": "Hel", "channel": "content"}],
              ["message.delta", 4, {"chat_id": 4, "message_id": 40, "seq": 2, "text": "lo", "channel": "content"}]]
    live_state.record_deltas(script, [(40, "content", "Hel"), (40, "content", "lo")], {40: 2}, events,
                             BUS_CHANNEL)
    assert redis_server.get("confab:msg:40:content") == b"Hello"
    logged = event_log.since(redis_server, 4, event_log.NO_EVENTS)
    assert [json.loads(payload)["seq"] for _, _, payload in logged] == [1, 2]


def hub() -> StreamHub:
    return StreamHub(queue.Queue)


def test_the_hub_feeds_each_chats_streams_and_ends_them_when_access_ends():
    streams = hub()
    ann = streams.subscribe(chat_id=1, user_id=10, account_id=100, token_id=1000)
    bob = streams.subscribe(chat_id=1, user_id=11, account_id=100, token_id=1001)
    elsewhere = streams.subscribe(chat_id=2, user_id=10, account_id=200, token_id=1000)
    streams.deliver("message.created", 1, {"chat_id": 1}, "5-0")
    assert ann.queue.get_nowait() == ("5-0", "message.created", '{"chat_id":1}') == bob.queue.get_nowait()
    assert elsewhere.queue.empty()
    streams.control(realtime.MEMBERSHIP_ENDED, {"user_id": 11, "account_id": 100})
    assert bob.queue.get_nowait() is CLOSE and ann.queue.empty()
    streams.control(realtime.TOKEN_REVOKED, {"token_id": 1000})
    assert ann.queue.get_nowait() is CLOSE and elsewhere.queue.get_nowait() is CLOSE
    assert streams.count() == 0


def test_a_stream_skips_what_it_already_sent_and_ends_on_chat_deleted():
    streams = hub()
    subscriber = streams.subscribe(chat_id=1, user_id=10, account_id=100, token_id=1000)
    subscriber.skip_created.add(50)
    for item in [("3-0", "message.delta", '{"seq":1}'), ("4-0", "message.created", '{"message_id":50}'),
                 ("5-0", "message.delta", '{"seq":2}'), ("5-0", "message.delta", '{"seq":2}'),
                 ("6-0", "chat.deleted", '{"chat_id":1}'), ("7-0", "typing", "{}")]:
        subscriber.queue.put(item)
    body = list(relay(streams, subscriber, ["id: 3-0\nevent: ready\ndata: {}\n\n"], "3-0", heartbeat_seconds=5))
    assert body == [": connected\n\n", "id: 3-0\nevent: ready\ndata: {}\n\n",
                    'id: 5-0\nevent: message.delta\ndata: {"seq":2}\n\n',
                    'id: 6-0\nevent: chat.deleted\ndata: {"chat_id":1}\n\n']
    assert streams.count() == 0


def test_a_stream_too_far_behind_is_closed_to_resume_from_the_log(monkeypatch):
    monkeypatch.setattr("app.realtime.streams.QUEUE_LIMIT", 2)
    streams = hub()
    slow = streams.subscribe(chat_id=1, user_id=10, account_id=100, token_id=1000)
    for n in range(3):
        streams.deliver("message.delta", 1, {"seq": n}, f"{n}-0")
    assert slow.queue.get_nowait() is CLOSE and streams.count() == 0
