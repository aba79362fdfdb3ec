"""The process's event loop for reading model streams: one thread, every stream.

Reply jobs run in threads of their own (``rq_worker.py``) for their database work and
RQ's bookkeeping, but hand the stream itself to this loop and wait for its outcome.
Read from one thread, hundreds of streams cost one wake-up for all the sockets that
have data, instead of a wake-up and a turn at the GIL per chunk per thread.

The loop is uvloop's where it is installed (it is a dependency): its transports and
selector are C, and the SDK's HTTP stack pauses and resumes reading a socket on every
chunk, which costs a Python selector registration each time on asyncio's own loop.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
from collections.abc import Coroutine


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class StreamLoop:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0
        self._mutex = threading.Lock()

    def start(self) -> None:
        """Start the loop's thread now, from the calling thread, whose nice level it takes
        (a worker's job threads run lower: ``app/engine/rq_worker.py``)."""
        self._running_loop()

    def submit(self, coroutine: Coroutine) -> concurrent.futures.Future:
        """Run ``coroutine`` on the loop; its outcome arrives in the returned future."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._running_loop())

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        """Start the loop's thread on first use in this process (a thread does not survive a fork)."""
        with self._mutex:
            if self._loop is None or self._pid != os.getpid():
                self._pid = os.getpid()
                self._loop = _new_loop()
                threading.Thread(target=self._loop.run_forever, name="stream-loop", daemon=True).start()
            return self._loop
