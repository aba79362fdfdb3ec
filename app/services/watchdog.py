"""A thread beside each streaming reply: keeps its heartbeat and chat lock alive, listens for cancel."""
from __future__ import annotations

import os
import threading
import time

import redis
from redis.exceptions import LockError
from redis.lock import Lock

from app.llm.streaming import ChatStream
from app.services import live_state


class StreamWatchdog(threading.Thread):
    """Heartbeat every ``interval`` seconds; on a cancel request, close the attached stream at once.

    If the process dies the heartbeat expires after ``ttl`` seconds and the
    sweeper marks the reply ``interrupted``.
    """

    def __init__(self, client: redis.Redis, message_id: int, lock: Lock, interval: float, ttl: float) -> None:
        super().__init__(name=f"watchdog-{message_id}", daemon=True)
        self._client = client
        self._message_id = message_id
        self._lock = lock
        self._interval = interval
        self._ttl = ttl
        self._stop_event = threading.Event()
        self._stream: ChatStream | None = None
        self._stream_lock = threading.Lock()
        self.cancelled = threading.Event()

    def beat(self) -> None:
        self._client.set(live_state.heartbeat_key(self._message_id), os.getpid(), px=int(self._ttl * 1000))
        live_state.keep(self._client, self._message_id)
        try:
            self._lock.extend(self._ttl, replace_ttl=True)
        except LockError:
            pass  # the lock was released while this beat was on its way; nothing to keep alive

    def run(self) -> None:
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(live_state.CANCEL_CHANNEL)
        try:
            if live_state.cancel_requested(self._client, self._message_id):
                self.cancel()
            next_beat = time.monotonic() + self._interval
            while not self._stop_event.is_set():
                message = pubsub.get_message(timeout=0.1)
                if message and message.get("data") in (str(self._message_id).encode(), str(self._message_id)):
                    self.cancel()
                if time.monotonic() >= next_beat and not self._stop_event.is_set():
                    self.beat()
                    next_beat = time.monotonic() + self._interval
        finally:
            pubsub.close()

    def attach(self, stream: ChatStream | None) -> None:
        with self._stream_lock:
            self._stream = stream
        if stream is not None and self.cancelled.is_set():
            stream.close()

    def cancel(self) -> None:
        self.cancelled.set()
        with self._stream_lock:
            stream = self._stream
        if stream is not None:
            stream.close()

    def wait_cancelled(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True at once if the reply is cancelled meanwhile."""
        return self.cancelled.wait(seconds)

    def stop(self) -> None:
        """Stop without waiting for the listener's poll to come round (it ends within 0.1 s)."""
        self._stop_event.set()
        self._client.delete(live_state.heartbeat_key(self._message_id))
