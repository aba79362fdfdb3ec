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


def append_text(pipe: redis.client.Pipeline, message_id: int, channel: str, text: str) -> None:
    """Queue an append of ``text`` to the message's content or reasoning (the relay's transaction)."""
    content_key, reasoning_key, _ = _keys(message_id)
    pipe.append(reasoning_key if channel == "reasoning" else content_key, text)


def set_seq(pipe: redis.client.Pipeline, message_id: int, seq: int) -> None:
    """Queue setting the message's last seq, keeping its expiry."""
    pipe.set(_keys(message_id)[2], seq, keepttl=True)


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
