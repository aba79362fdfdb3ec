"""Live state of streaming replies, kept in Redis so every process sees it.

Per streaming message: the text and reasoning so far and the last ``seq``
(written atomically with each delta, read atomically for the join snapshot), a
heartbeat key the streaming process keeps alive, and a cancel flag. (The per-chat lock
is ``app/engine/chat_lock.py``.)
"""
from __future__ import annotations

import redis

from app.platform.queue import REPLY_JOB_TIMEOUT
from app.platform.redis_client import get_redis
from app.realtime import bus, event_log

PREFIX = "confab"
# Longer than a reply job may run, so a reply's state outlives its streaming without its
# expiry being pushed back, and is gone an hour after that.
STATE_TTL = REPLY_JOB_TIMEOUT + 3600
CANCEL_CHANNEL = f"{PREFIX}:cancel"


def _keys(message_id: int) -> tuple[str, str, str]:
    base = f"{PREFIX}:msg:{message_id}"
    return f"{base}:content", f"{base}:reasoning", f"{base}:seq"


def heartbeat_key(message_id: int) -> str:
    return f"{PREFIX}:msg:{message_id}:alive"


def cancel_key(message_id: int) -> str:
    return f"{PREFIX}:msg:{message_id}:cancel"


def record_deltas(script: redis.commands.core.Script, deltas: list[tuple[int, str, str]],
                  last_seqs: dict[int, int], events: list | None = None, channel: str | None = None) -> None:
    """Append each ``(message_id, channel, text)`` to the live state, set each message's last
    seq and, given a bus ``channel``, log and publish ``events``: all in one round trip,
    atomically (``app/realtime/bus.py``). ``script`` is ``bus.PUBLISH_WITH_WRITES`` registered
    on a client."""
    appends = []
    for message_id, text_channel, text in deltas:
        content_key, reasoning_key, _ = _keys(message_id)
        appends.append((reasoning_key if text_channel == "reasoning" else content_key, text))
    sets = [(_keys(message_id)[2], seq) for message_id, seq in last_seqs.items()]
    bus.publish_with_writes(script, appends, sets, events, channel)


SNAPSHOT_WITH_LOG = """
local values = redis.call('MGET', unpack(KEYS, 2))
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
return {last[1] and last[1][1] or '0-0', values}
"""


def snapshot_with_log(chat_id: int, message_ids: list[int]) -> tuple[str, dict[int, dict]]:
    """The live state of ``message_ids`` and the id of the chat's newest logged event, read
    in one atomic step: every delta logged up to that id is in the texts, and none after."""
    keys = [event_log.log_key(chat_id)]
    for message_id in message_ids:
        keys.extend(_keys(message_id))
    client = get_redis()
    if len(keys) == 1:
        last = client.xrevrange(keys[0], "+", "-", count=1)
        return (last[0][0].decode() if last else event_log.NO_EVENTS), {}
    last_id, values = client.register_script(SNAPSHOT_WITH_LOG)(keys=keys)
    states = {}
    for index, message_id in enumerate(message_ids):
        content, reasoning, seq = values[3 * index:3 * index + 3]
        states[message_id] = _state(content, reasoning, seq)
    return last_id.decode() if isinstance(last_id, bytes) else last_id, states


def keep_alive(pipe: redis.client.Pipeline, message_ids: list[int], ttl_ms: int, pid: int) -> None:
    """Queue the heartbeat of every message streaming in one process (the supervisor's beat)."""
    for message_id in message_ids:
        pipe.set(heartbeat_key(message_id), pid, px=ttl_ms)


def reset(pipe: redis.client.Pipeline, message_id: int) -> None:
    """Queue an empty live state on ``pipe`` (its keys expire after ``STATE_TTL``)."""
    content_key, reasoning_key, seq_key = _keys(message_id)
    pipe.set(content_key, "", ex=STATE_TTL)
    pipe.set(reasoning_key, "", ex=STATE_TTL)
    pipe.set(seq_key, 0, ex=STATE_TTL)


def snapshot(message_id: int) -> dict:
    """Content, reasoning and last seq so far, read in one atomic MGET."""
    return _state(*get_redis().mget(_keys(message_id)))


def _state(content: bytes | None, reasoning: bytes | None, seq: bytes | None) -> dict:
    return {
        "content": (content or b"").decode("utf-8", "replace"),
        "reasoning": (reasoning or b"").decode("utf-8", "replace"),
        "seq": int(seq or 0),
    }


def request_cancel(message_id: int) -> None:
    client = get_redis()
    client.set(cancel_key(message_id), 1, ex=STATE_TTL)
    client.publish(CANCEL_CHANNEL, str(message_id))


def is_alive(client: redis.Redis, message_id: int) -> bool:
    return bool(client.exists(heartbeat_key(message_id)))
