"""Every chat's recent events, kept in Redis so an event stream can resume (SPEC §8).

Each event published for a chat's room is also appended to the chat's Redis stream
(``confab:chat:{id}:events``, the newest ``EVENT_LOG_LENGTH`` entries, gone a day after the
chat's last event), in the same atomic script that publishes it on the bus, and the bus
carries the entry's id as the event's fourth element. So the ids rise in the order every
web process sees the events, and an SSE client that reconnects with ``Last-Event-ID`` is
sent exactly the entries after that id (:func:`since`), then the live events after them.
Unit tests, which deliver locally, have no log and no ids.
"""
from __future__ import annotations

import json
import re

import redis

EVENT_LOG_LENGTH = 2000
EVENT_LOG_TTL = 24 * 3600
NO_EVENTS = "0-0"
_EVENT_ID = re.compile(r"^[0-9]{1,20}-[0-9]{1,20}$")

# log_and_publish(key_offset, arg_offset): ARGV[arg_offset + 1..3] are the bus channel, the
# log length and its expiry; then, per event, four ARGV: the index of its log key among the
# KEYS after key_offset (0: not logged), and its name, target and payload, each already JSON.
# The bus message is the JSON list of events, each [name, target, payload(, log id)].
LOG_AND_PUBLISH = """
local function log_and_publish(key_offset, arg_offset)
  local channel, length, ttl = ARGV[arg_offset + 1], ARGV[arg_offset + 2], ARGV[arg_offset + 3]
  local parts, logged = {}, {}
  for i = arg_offset + 4, #ARGV, 4 do
    local key_index, name, target, payload = tonumber(ARGV[i]), ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
    local event = '[' .. name .. ',' .. target .. ',' .. payload
    if key_index > 0 then
      local key = KEYS[key_offset + key_index]
      local id = redis.call('XADD', key, 'MAXLEN', '~', length, '*', 'e', name, 'p', payload)
      logged[key] = true
      event = event .. ',"' .. id .. '"'
    end
    parts[#parts + 1] = event .. ']'
  end
  for key in pairs(logged) do redis.call('EXPIRE', key, ttl) end
  redis.call('PUBLISH', channel, '[' .. table.concat(parts, ',') .. ']')
end
"""
PUBLISH_EVENTS = LOG_AND_PUBLISH + "log_and_publish(0, 0)\nreturn 1\n"


def log_key(chat_id: int) -> str:
    return f"confab:chat:{chat_id}:events"


def logged_chat(target) -> int | None:
    """The chat whose log keeps an event for ``target`` (a chat id, or a list of rooms that
    may hold one chat's room); None for account-wide and control events."""
    if isinstance(target, int):
        return target
    if isinstance(target, list):
        for room in target:
            if isinstance(room, str) and room.startswith("chat:"):
                return int(room[len("chat:"):])
    return None


def script_arguments(events: list[list], channel: str, *, length: int = EVENT_LOG_LENGTH,
                     ttl: int = EVENT_LOG_TTL) -> tuple[list[str], list[object]]:
    """KEYS and ARGV for ``log_and_publish(0, 0)`` publishing ``events`` on ``channel``."""
    keys: list[str] = []
    key_index: dict[int, int] = {}
    args: list[object] = [channel, length, ttl]
    for name, target, payload in events:
        chat_id = logged_chat(target)
        index = 0
        if chat_id is not None:
            index = key_index.get(chat_id, 0)
            if not index:
                keys.append(log_key(chat_id))
                index = key_index[chat_id] = len(keys)
        args.extend((index, json.dumps(name), _compact(target), _compact(payload)))
    return keys, args


def _compact(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def valid_id(value: str) -> bool:
    return bool(_EVENT_ID.match(value))


def id_key(event_id: str) -> tuple[int, int]:
    """An event id as a sortable pair."""
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq)


def since(client: redis.Redis, chat_id: int, after_id: str) -> list[tuple[str, str, str]] | None:
    """Every logged ``(id, name, payload JSON)`` of the chat after ``after_id``, oldest first;
    None when the log no longer reaches back to ``after_id`` (the client must start afresh).

    ``after_id`` is an id this app gave out: an entry of the log, or :data:`NO_EVENTS` for a
    chat whose log was empty. The log is trimmed from its oldest end only, so it still holds
    everything after ``after_id`` exactly when it still holds that entry (or, for
    :data:`NO_EVENTS`, when it was never trimmed: it is shorter than its length limit).
    """
    key = log_key(chat_id)
    pipe = client.pipeline(transaction=True)
    if after_id == NO_EVENTS:
        pipe.xlen(key)
    else:
        pipe.xrange(key, after_id, after_id)
    pipe.xrange(key, f"({after_id}", "+")
    anchor, entries = pipe.execute()
    reaches = anchor < EVENT_LOG_LENGTH if after_id == NO_EVENTS else bool(anchor)
    if not reaches:
        return None
    return [(_text(entry_id), json.loads(fields[b"e"]), _text(fields[b"p"])) for entry_id, fields in entries]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
