"""Server-Sent Events of a chat, fed by the web process's one bus listener (SPEC §5, §8).

Each web process keeps one :class:`StreamHub`. The bus listener (``app/realtime/bus.py``) hands it
every chat event with its log id, and the hub puts it on the queue of each event stream of
that chat open here: no stream holds a Redis or database connection of its own. A stream
starts with what it missed (``app/realtime/event_log.py``) or, when new, a ``ready`` event with the
chat's unfinished replies so far; then it relays live events after that position, each
exactly once, with comment heartbeats while the chat is quiet. ``chat.deleted`` ends it, as
do revoking its token and removing its member from the account.
"""
from __future__ import annotations

import json
import queue
from collections.abc import Iterator
from dataclasses import dataclass, field

from app.realtime.event_log import id_key
from app.realtime.rooms import MEMBERSHIP_ENDED, TOKEN_REVOKED

CLOSE = None
QUEUE_LIMIT = 10_000


@dataclass(eq=False)
class Subscriber:
    """One open event stream: its chat, whose it is, and the events waiting for it."""

    chat_id: int
    user_id: int
    account_id: int
    token_id: int
    queue: queue.Queue
    skip_created: set[int] = field(default_factory=set)


class StreamHub:
    """The event streams open in this web process, by chat."""

    def __init__(self, create_queue) -> None:
        self._create_queue = create_queue
        self._by_chat: dict[int, set[Subscriber]] = {}

    def subscribe(self, chat_id: int, user_id: int, account_id: int, token_id: int) -> Subscriber:
        subscriber = Subscriber(chat_id, user_id, account_id, token_id, self._create_queue(QUEUE_LIMIT))
        self._by_chat.setdefault(chat_id, set()).add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        streams = self._by_chat.get(subscriber.chat_id)
        if streams is not None:
            streams.discard(subscriber)
            if not streams:
                del self._by_chat[subscriber.chat_id]

    def count(self) -> int:
        return sum(len(streams) for streams in self._by_chat.values())

    def count_for_token(self, token_id: int) -> int:
        """The streams open here with ``token_id``."""
        return sum(1 for streams in self._by_chat.values() for s in streams if s.token_id == token_id)

    def deliver(self, name: str, chat_id: int, payload: dict, event_id: str | None) -> None:
        """Queue one event for every stream of ``chat_id`` here (encoded once)."""
        streams = self._by_chat.get(chat_id)
        if not streams:
            return
        item = (event_id, name, json.dumps(payload, separators=(",", ":")))
        for subscriber in list(streams):
            try:
                subscriber.queue.put_nowait(item)
            except queue.Full:  # a client this far behind resumes from the log instead
                self._close(subscriber)

    def _close(self, subscriber: Subscriber) -> None:
        self.unsubscribe(subscriber)
        while True:
            try:
                subscriber.queue.get_nowait()
            except queue.Empty:
                break
        subscriber.queue.put_nowait(CLOSE)

    def _end_where(self, matches) -> None:
        for streams in list(self._by_chat.values()):
            for subscriber in list(streams):
                if matches(subscriber):
                    self._close(subscriber)

    def control(self, name: str, payload: dict) -> None:
        """A control event of the bus: end the streams of a revoked token or a removed member."""
        if name == TOKEN_REVOKED:
            self._end_where(lambda s: s.token_id == payload.get("token_id"))
        elif name == MEMBERSHIP_ENDED:
            self._end_where(lambda s: s.user_id == payload.get("user_id")
                            and s.account_id == payload.get("account_id"))


def sse(name: str, data: str, event_id: str | None) -> str:
    """One event in the text/event-stream format (``data`` is one line of JSON)."""
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {name}\ndata: {data}\n\n"


def relay(hub: StreamHub, subscriber: Subscriber, opening: list[str], position: str | None,
          heartbeat_seconds: float) -> Iterator[str]:
    """The body of one event stream: ``opening`` (what was missed, or ``ready``), then every
    live event after ``position``, until the chat is deleted, access ends or the client goes."""
    try:
        yield ": connected\n\n"  # the headers leave now, even when nothing was missed
        yield from opening
        after = id_key(position) if position else None
        while True:
            try:
                item = subscriber.queue.get(timeout=heartbeat_seconds)
            except queue.Empty:
                yield ": keep-alive\n\n"
                continue
            if item is CLOSE:
                return
            event_id, name, data = item
            if event_id is not None and after is not None:
                if id_key(event_id) <= after:
                    continue
                after = id_key(event_id)
            if name == "message.created" and subscriber.skip_created:
                if json.loads(data).get("message_id") in subscriber.skip_created:
                    continue
            yield sse(name, data, event_id)
            if name == "chat.deleted":
                return
    finally:
        hub.unsubscribe(subscriber)
