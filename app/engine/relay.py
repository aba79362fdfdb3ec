"""The per-process delta relay: many streaming replies, one Redis round trip per batch.

The stream loop (``loop.py``) hands each provider chunk to :meth:`Relay.delta` and goes
straight back to reading. One relay thread per process takes everything that arrived since
its last round trip and, in one atomic Redis script, appends the text to each reply's live
state (``app/engine/live_state.py``), sets its last ``seq`` and publishes the whole
batch of ``message.delta`` events on the event bus (``app/realtime/__init__.py``).

Coalescing falls out of this: while a round trip is in flight, chunks of the same
reply pile up and leave as one event carrying the next ``seq`` and their joined text.
When a batch carried many replies, the relay also lingers before the next one
(``linger_per_reply`` for each reply in the batch, at most ``max_linger``), so that under
load each event carries several chunks and the web processes emit fewer, larger
events. A relay with one reply streaming never lingers: a chunk leaves the moment it
arrives. A reply that ends waits for the batch holding its last chunks, linger included:
cutting the linger short for it (as the relay once did) meant that at 200 replies, with
one ending every few milliseconds, hardly any batch lingered.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import redis

from app.engine import live_state
from app.realtime import bus
from app.realtime.rooms import Event

log = logging.getLogger(__name__)
SEND_ATTEMPTS = 5


@dataclass(eq=False)
class LiveReply:
    """What the relay knows of one streaming reply: its room, its last seq, text not yet sent."""

    chat_id: int
    message_id: int
    seq: int = 0
    pending: list[tuple[str, list[str]]] = field(default_factory=list)


class Relay:
    """Batches the deltas of every reply streaming in this process.

    Each batch of events is published on ``bus_channel`` in the same atomic step as the
    live-state writes; unit tests, which have no bus, pass ``deliver`` instead, and it is
    called after that step.
    """

    def __init__(self, client: redis.Redis, *, bus_channel: str | None = None,
                 deliver: Callable[[list[Event]], None] | None = None,
                 linger_per_reply: float = 0.0, max_linger: float = 0.0) -> None:
        self._record = client.register_script(bus.PUBLISH_WITH_WRITES)
        self._bus_channel = bus_channel
        self._deliver = deliver
        self._linger_per_reply = linger_per_reply
        self._max_linger = max_linger
        self._cond = threading.Condition()
        self._dirty: dict[int, LiveReply] = {}
        self._queued = 0
        self._sent = 0
        self._thread: threading.Thread | None = None
        self._idle = False
        os.register_at_fork(after_in_child=self._forget_thread)

    def delta(self, reply: LiveReply, channel: str, text: str) -> None:
        """Queue ``text`` on ``channel`` (``content`` or ``reasoning``) of ``reply``."""
        with self._cond:
            pending = reply.pending
            if pending and pending[-1][0] == channel:
                pending[-1][1].append(text)
            else:
                pending.append((channel, [text]))
            self._dirty[reply.message_id] = reply
            self._queued += 1
            if self._thread is None:
                self._start_thread()
            if self._idle:
                self._cond.notify()

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything queued so far has been sent; False on timeout."""
        with self._cond:
            target = self._queued
            return self._cond.wait_for(lambda: self._sent >= target, timeout)

    def _start_thread(self) -> None:
        """Start the relay thread on first use in this process."""
        self._thread = threading.Thread(target=self._run, name="delta-relay", daemon=True)
        self._thread.start()

    def _forget_thread(self) -> None:
        """In a forked child: the relay thread did not come along; the next delta starts one."""
        self._thread = None
        self._cond = threading.Condition()

    def _take_batch(self, linger: float) -> tuple[list[tuple[LiveReply, str, str, int]], int, int]:
        if linger:
            time.sleep(linger)
        with self._cond:
            self._idle = True
            self._cond.wait_for(lambda: self._dirty)
            self._idle = False
            dirty, self._dirty = self._dirty, {}
            batch = []
            for reply in dirty.values():
                for channel, texts in reply.pending:
                    reply.seq += 1
                    batch.append((reply, channel, "".join(texts), reply.seq))
                reply.pending = []
            return batch, self._queued, len(dirty)

    def _run(self) -> None:
        linger = 0.0
        while True:
            batch, ticket, replies = self._take_batch(linger)
            linger = min(self._max_linger, self._linger_per_reply * replies) if replies > 1 else 0.0
            self._send(batch)
            with self._cond:
                self._sent = ticket
                self._cond.notify_all()

    def _send(self, batch: list[tuple[LiveReply, str, str, int]]) -> None:
        events: list[Event] = []
        deltas: list[tuple[int, str, str]] = []
        last_seq: dict[int, int] = {}
        for reply, channel, text, seq in batch:
            events.append(["message.delta", reply.chat_id, {
                "chat_id": reply.chat_id, "message_id": reply.message_id, "seq": seq, "text": text, "channel": channel,
            }])
            deltas.append((reply.message_id, channel, text))
            last_seq[reply.message_id] = seq
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                live_state.record_deltas(self._record, deltas, last_seq, events, self._bus_channel)
                break
            except redis.exceptions.RedisError as exc:
                if attempt == SEND_ATTEMPTS:
                    log.error("dropped %s deltas after %s failed sends: %s", len(events), attempt, exc)
                    return
                log.warning("sending %s deltas failed (%s); retrying", len(events), exc)
                time.sleep(0.05 * 2 ** attempt)
        if self._deliver is not None:
            self._deliver(events)
