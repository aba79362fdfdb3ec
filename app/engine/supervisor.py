"""The per-process stream supervisor: heartbeats and cancels for every reply streaming here.

One thread per worker process, however many replies stream in it. Every
``STREAM_HEARTBEAT_SECONDS`` it renews, in one pipeline, the heartbeat key of each
reply, and extends every chat lock in one more round trip. It listens on the cancel channel
once for the whole process and closes the upstream HTTP stream of a cancelled reply
at once. If the process dies the heartbeats lapse, and the sweep marks its replies
``interrupted`` (``app/replies/sweeper.py``). Worker processes run that sweep every
``STREAM_SWEEP_SECONDS`` in a second thread started here, so no process of its own is needed.
"""
from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable

import redis
from redis.exceptions import LockError

from app.engine import live_state
from app.engine.chat_lock import EXTEND_ALL, ChatLock, extend_all
from app.llm.streaming import ChatStream

log = logging.getLogger(__name__)


class WatchedStream:
    """One streaming reply as the supervisor sees it: cancel it, attach its current HTTP stream."""

    def __init__(self, message_id: int, lock: ChatLock) -> None:
        self.message_id = message_id
        self.lock = lock
        self.cancelled = threading.Event()
        self._stream: ChatStream | None = None
        self._mutex = threading.Lock()

    def attach(self, stream: ChatStream | None) -> None:
        with self._mutex:
            self._stream = stream
        if stream is not None and self.cancelled.is_set():
            stream.close()

    def cancel(self) -> None:
        self.cancelled.set()
        with self._mutex:
            stream = self._stream
        if stream is not None:
            stream.close()

    async def sleep_unless_cancelled(self, seconds: float) -> bool:
        """On the stream loop: sleep up to ``seconds``; True as soon as the reply is cancelled."""
        deadline = time.monotonic() + seconds
        while not self.cancelled.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            await asyncio.sleep(min(left, 0.05))
        return True


class StreamSupervisor:
    def __init__(self, client: redis.Redis, interval: float, ttl: float) -> None:
        self._client = client
        self._extend_locks = client.register_script(EXTEND_ALL)
        self._interval = interval
        self._ttl_ms = int(ttl * 1000)
        self._ttl = ttl
        self._watched: dict[int, WatchedStream] = {}
        self._mutex = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def start(self, sweep: Callable[[], None] | None = None, every: float = 10.0) -> None:
        """Start supervising now (a worker process at start), and run ``sweep`` every ``every``
        seconds in a thread of its own, so a slow database never delays a heartbeat or a cancel."""
        with self._mutex:
            self._ensure_thread()
        if sweep is not None:
            threading.Thread(target=self._sweep_forever, args=(sweep, every), name="stream-sweeper",
                             daemon=True).start()

    def watch(self, message_id: int, lock: ChatLock) -> WatchedStream:
        """Start watching a reply about to stream, in one round trip: its live state starts empty,
        its heartbeat is set, and a cancel that came first is honoured."""
        watched = WatchedStream(message_id, lock)
        with self._mutex:
            self._watched[message_id] = watched
            self._ensure_thread()
        pipe = self._client.pipeline(transaction=False)
        live_state.reset(pipe, message_id)
        live_state.keep_alive(pipe, [message_id], self._ttl_ms, os.getpid())
        pipe.exists(live_state.cancel_key(message_id))
        cancelled = pipe.execute()[-1]
        if not lock.renewed_within(self._interval):  # a lock taken a moment ago holds until the next beat
            try:
                lock.extend(self._ttl, replace_ttl=True)
            except LockError:
                pass  # a lock that expired is taken again by nobody while this job answers the chat
        if cancelled:
            watched.cancel()
        return watched

    def release(self, watched: WatchedStream) -> None:
        with self._mutex:
            self._watched.pop(watched.message_id, None)
        self._client.delete(live_state.heartbeat_key(watched.message_id))

    def _ensure_thread(self) -> None:
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="stream-supervisor", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                self._supervise()
            except redis.exceptions.RedisError as exc:
                log.warning("stream supervisor lost Redis (%s); retrying", exc)
                time.sleep(1)

    def _supervise(self) -> None:
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(live_state.CANCEL_CHANNEL)
        try:
            self._beat()
            next_beat = time.monotonic() + self._interval
            while True:
                message = pubsub.get_message(timeout=min(0.5, self._interval))
                if message is not None:
                    self._cancel(message.get("data"))
                if time.monotonic() >= next_beat:
                    self._beat()
                    next_beat = time.monotonic() + self._interval
        finally:
            pubsub.close()

    @staticmethod
    def _sweep_forever(sweep: Callable[[], None], every: float) -> None:
        while True:
            time.sleep(every)
            try:
                sweep()
            except Exception:
                log.exception("sweeping streams failed; trying again next round")

    def _cancel(self, data: object) -> None:
        try:
            message_id = int(data)
        except (TypeError, ValueError):
            return
        with self._mutex:
            watched = self._watched.get(message_id)
        if watched is not None:
            watched.cancel()

    def _beat(self) -> None:
        with self._mutex:
            watched = list(self._watched.values())
        if not watched:
            return
        pipe = self._client.pipeline(transaction=False)
        live_state.keep_alive(pipe, [w.message_id for w in watched], self._ttl_ms, os.getpid())
        pipe.execute()
        extend_all(self._extend_locks, [stream.lock for stream in watched], self._ttl)
