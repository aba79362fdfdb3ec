"""Live state of streaming replies, kept in Redis so every process sees it (for an hour).

Per streaming message: the text and reasoning so far and the last ``seq``
(written atomically with each delta, read atomically for the join snapshot), a
heartbeat key the streaming process keeps alive, and a cancel flag. Per chat: a
lock so one response at a time streams in it.
"""
from __future__ import annotations

import redis

from app.redis_client import get_redis

PREFIX = "confab"
STATE_TTL = 3600
CANCEL_CHANNEL = f"{PREFIX}:cancel"


def _keys(message_id: int) -> tuple[str, str, str]:
    base = f"{PREFIX}:msg:{message_id}"
    return f"{base}:content", f"{base}:reasoning", f"{base}:seq"


def heartbeat_key(message_id: int) -> str:
    return f"{PREFIX}:msg:{message_id}:alive"


def cancel_key(message_id: int) -> str:
    return f"{PREFIX}:msg:{message_id}:cancel"


def chat_lock_key(chat_id: int) -> str:
    return f"{PREFIX}:chat:{chat_id}:lock"


# One atomic step for a batch of deltas: append each text, set each message's last seq
# (keeping the keys' expiry) and publish the events. A join snapshot (MGET) therefore never
# sees text without its seq, or a seq without its text.
RECORD_DELTAS = """
local appends = tonumber(ARGV[1])
for i = 1, appends do redis.call('APPEND', KEYS[i], ARGV[i + 1]) end
for i = appends + 1, #KEYS do redis.call('SET', KEYS[i], ARGV[i + 1], 'KEEPTTL') end
if ARGV[#KEYS + 2] then redis.call('PUBLISH', ARGV[#KEYS + 2], ARGV[#KEYS + 3]) end
return appends
"""


def record_deltas(script: redis.commands.core.Script, deltas: list[tuple[int, str, str]],
                  last_seqs: dict[int, int], publish: tuple[str, str] | None = None) -> None:
    """Append each ``(message_id, channel, text)`` to the live state, set each message's last
    seq and, given ``(channel, payload)``, publish it: all in one round trip, atomically.
    ``script`` is :data:`RECORD_DELTAS` registered on a client."""
    keys: list[str] = []
    args: list[object] = [len(deltas)]
    for message_id, channel, text in deltas:
        content_key, reasoning_key, _ = _keys(message_id)
        keys.append(reasoning_key if channel == "reasoning" else content_key)
        args.append(text)
    for message_id, seq in last_seqs.items():
        keys.append(_keys(message_id)[2])
        args.append(seq)
    if publish is not None:
        args.extend(publish)
    script(keys=keys, args=args)


def keep_all(pipe: redis.client.Pipeline, message_ids: list[int], ttl_ms: int, pid: int) -> None:
    """Queue the heartbeat of every message streaming in one process, and push back the
    expiry of their live state (the supervisor's beat)."""
    for message_id in message_ids:
        pipe.set(heartbeat_key(message_id), pid, px=ttl_ms)
        for key in _keys(message_id):
            pipe.expire(key, STATE_TTL)


def reset(client: redis.Redis, message_id: int) -> None:
    """Start an empty live state; its keys expire after an hour unless kept."""
    content_key, reasoning_key, seq_key = _keys(message_id)
    pipe = client.pipeline(transaction=True)
    pipe.set(content_key, "", ex=STATE_TTL)
    pipe.set(reasoning_key, "", ex=STATE_TTL)
    pipe.set(seq_key, 0, ex=STATE_TTL)
    pipe.execute()


def snapshot(message_id: int) -> dict:
    """Content, reasoning and last seq so far, read in one atomic MGET."""
    content, reasoning, seq = get_redis().mget(_keys(message_id))
    return {
        "content": (content or b"").decode("utf-8", "replace"),
        "reasoning": (reasoning or b"").decode("utf-8", "replace"),
        "seq": int(seq or 0),
    }


def request_cancel(message_id: int) -> None:
    client = get_redis()
    client.set(cancel_key(message_id), 1, ex=STATE_TTL)
    client.publish(CANCEL_CHANNEL, str(message_id))


def cancel_requested(client: redis.Redis, message_id: int) -> bool:
    return bool(client.exists(cancel_key(message_id)))


def is_alive(client: redis.Redis, message_id: int) -> bool:
    return bool(client.exists(heartbeat_key(message_id)))
