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


def record_delta(client: redis.Redis, message_id: int, seq: int, text: str, channel: str) -> None:
    """Append ``text`` to the message's live state and set its last seq, atomically."""
    content_key, reasoning_key, seq_key = _keys(message_id)
    pipe = client.pipeline(transaction=True)
    pipe.append(reasoning_key if channel == "reasoning" else content_key, text)
    pipe.set(seq_key, seq, keepttl=True)
    pipe.execute()


def keep(client: redis.Redis, message_id: int) -> None:
    """Push back the expiry of a streaming message's live state (the heartbeat calls this)."""
    pipe = client.pipeline(transaction=False)
    for key in _keys(message_id):
        pipe.expire(key, STATE_TTL)
    pipe.execute()


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
